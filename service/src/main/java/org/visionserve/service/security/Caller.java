package org.visionserve.service.security;

import java.util.Set;

/**
 * An authenticated caller: its name (an API key's name or fingerprint, a JWT's subject), as the audit log
 * and rate limits know it, and its roles ({@code admin} includes {@code infer}).
 */
public record Caller(String name, Set<String> roles) {

    public static final String INFER = "infer";
    public static final String ADMIN = "admin";

    public Caller {
        roles = roles.contains(ADMIN) ? union(roles, INFER) : Set.copyOf(roles);
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    private static Set<String> union(Set<String> roles, String role) {
        java.util.Set<String> all = new java.util.TreeSet<>(roles);
        all.add(role);
        return Set.copyOf(all);
    }
}
