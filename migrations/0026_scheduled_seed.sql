-- A scheduled notice can be one of the seed notices (issue 12): which one (the suggested template's
-- name, e.g. `turno_confirmado`) and the values its variables map to (a JSON object of context
-- fields, e.g. {"date": "lunes 7 de diciembre", "time": "10:30"}). When it falls due it goes out
-- as that template on WhatsApp (outside the 24 h window too) and as its text by SMS or e-mail.
-- Rows without a seed (older ones, free-text reminders) keep going out as plain text.
ALTER TABLE scheduled_notices ADD COLUMN seed TEXT;

ALTER TABLE scheduled_notices ADD COLUMN context TEXT
    CHECK (context IS NULL OR json_valid(context));
