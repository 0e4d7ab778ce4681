-- Normalised text that staff search matches substrings of: the number, the description, the
-- address and the plate, lowercased with ё as е (pomoshnik_core::report_search computes it).
-- NULL until filled: reports filed before this migration get it at the next start.
ALTER TABLE reports ADD COLUMN search_text TEXT;
