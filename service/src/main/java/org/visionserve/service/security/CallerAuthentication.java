package org.visionserve.service.security;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/**
 * An authenticated {@link Caller} in Spring Security's context: {@code request.getUserPrincipal().getName()}
 * and {@code SecurityContextHolder...getName()} give the caller's name, its roles are {@code ROLE_infer},
 * {@code ROLE_admin}. No credential is kept.
 */
public final class CallerAuthentication extends AbstractAuthenticationToken {

    private final Caller caller;

    public CallerAuthentication(Caller caller) {
        super(caller.roles().stream().map(r -> new SimpleGrantedAuthority("ROLE_" + r)).toList());
        this.caller = caller;
        setAuthenticated(true);
    }

    public Caller caller() {
        return caller;
    }

    @Override
    public Object getCredentials() {
        return null;
    }

    @Override
    public Object getPrincipal() {
        return caller;
    }

    @Override
    public String getName() {
        return caller.name();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CallerAuthentication a && a.caller.equals(caller);
    }

    @Override
    public int hashCode() {
        return caller.hashCode();
    }
}
