export const EMAIL_CONFIG = Symbol('EMAIL_CONFIG');
