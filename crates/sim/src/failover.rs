//! Leader failure and failover: detection, election, reconfiguration, and what goes wrong (chapter 2).
