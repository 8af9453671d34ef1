package org.visionserve.service.security;

/** Why a request could not be authenticated; the {@code reason} tag of the failure metric. */
public enum AuthFailure {
    /** No {@code Authorization} header where one is needed. */
    MISSING("missing"),
    /** An {@code Authorization} header that is not {@code Bearer <credential>}. */
    MALFORMED("malformed"),
    /** A bearer credential that is neither a known API key nor (with JWT on) a token. */
    INVALID_KEY("invalid-key"),
    /** A JWT past its expiry. */
    EXPIRED_TOKEN("expired-token"),
    /** A JWT with a bad signature, issuer, audience or shape. */
    INVALID_TOKEN("invalid-token");

    public final String tag;

    AuthFailure(String tag) {
        this.tag = tag;
    }
}
