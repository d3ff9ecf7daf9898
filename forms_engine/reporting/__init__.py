"""Conversion progress: the paper-form register, what counts as replaced, and the measures reported
against the target (share of paper forms replaced, take-up, completion, satisfaction)."""
