//! A consistency checker over client histories (chapter 4 onwards).
