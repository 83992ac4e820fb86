-- Issue 14's known limit: an expired link (Stripe session or MercadoPago preference) stayed
-- "ready", so a new "Cobrar" on its invoice returned the dead link.
-- `expires_at`: when the provider stops taking payments on it (set when it becomes ready, from
-- the expiry sent and answered). `expired_at`: when we found it expired — from `expires_at` when
-- "Cobrar" is pressed again, or from the provider's answer (Stripe's session `expired`). An
-- expired link is `cancelled` (so the open-link index lets a NEW link, with a new idempotency
-- key, be made) and shows as `expired`.
ALTER TABLE payment_links ADD COLUMN expires_at TEXT;
ALTER TABLE payment_links ADD COLUMN expired_at TEXT;
