package org.visionserve.service.security;

import org.springframework.security.core.AuthenticationException;

/** A request without valid credentials where they are needed: 401 unauthenticated. */
public class AuthenticationFailedException extends AuthenticationException {

    private final AuthFailure reason;

    public AuthenticationFailedException(AuthFailure reason, String message) {
        super(message);
        this.reason = reason;
    }

    public AuthFailure reason() {
        return reason;
    }
}
