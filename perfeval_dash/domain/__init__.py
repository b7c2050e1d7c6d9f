"""The domain room: vocabularies, the rules the dashboard computes, problem categories."""
