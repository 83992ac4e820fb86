-- Stripe beside MercadoPago (issue 14): which provider a "Cobrar" link and a chargeback belong to.
-- Existing rows are MercadoPago's. `payments` already has its `provider` column; a Stripe link's
-- `preference_id` holds its Checkout Session id (`cs_…`), a Stripe payment's
-- `provider_payment_id` its PaymentIntent id (`pi_…`), a Stripe chargeback's id its dispute id
-- (`dp_…`). Stripe's states are stored in the payments vocabulary (approved, rejected, …).
ALTER TABLE payment_links ADD COLUMN provider TEXT NOT NULL DEFAULT 'mercadopago'
    CHECK (provider IN ('mercadopago', 'stripe'));

ALTER TABLE payment_chargebacks ADD COLUMN provider TEXT NOT NULL DEFAULT 'mercadopago'
    CHECK (provider IN ('mercadopago', 'stripe'));
