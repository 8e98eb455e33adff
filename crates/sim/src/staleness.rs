//! Probabilistically bounded staleness: the closed form and the WARS Monte Carlo (chapter 6).
