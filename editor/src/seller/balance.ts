/** Fired on `window` when a shoot or a batch changed the balance, so the header reads it again. */
export const BALANCE_CHANGED = 'sf:balance-changed';
