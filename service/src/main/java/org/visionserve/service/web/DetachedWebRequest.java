package org.visionserve.service.web;

import java.security.Principal;
import java.util.Collections;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The request an asynchronous operation's failure is turned into a problem with ({@link
 * ProblemHandler#problemFor}): the operation's HTTP request has long been answered, so this one has
 * attributes only (the handlers' outcome marks), and no headers, parameters or user.
 */
final class DetachedWebRequest implements org.springframework.web.context.request.WebRequest {

    private final Map<String, Object> attributes = new ConcurrentHashMap<>();

    @Override public String getHeader(String headerName) { return null; }
    @Override public String[] getHeaderValues(String headerName) { return null; }
    @Override public Iterator<String> getHeaderNames() { return Collections.emptyIterator(); }
    @Override public String getParameter(String paramName) { return null; }
    @Override public String[] getParameterValues(String paramName) { return null; }
    @Override public Iterator<String> getParameterNames() { return Collections.emptyIterator(); }
    @Override public Map<String, String[]> getParameterMap() { return Map.of(); }
    @Override public Locale getLocale() { return Locale.ROOT; }
    @Override public String getContextPath() { return ""; }
    @Override public String getRemoteUser() { return null; }
    @Override public Principal getUserPrincipal() { return null; }
    @Override public boolean isUserInRole(String role) { return false; }
    @Override public boolean isSecure() { return false; }
    @Override public boolean checkNotModified(long lastModifiedTimestamp) { return false; }
    @Override public boolean checkNotModified(String etag) { return false; }
    @Override public boolean checkNotModified(String etag, long lastModifiedTimestamp) { return false; }
    @Override public String getDescription(boolean includeClientInfo) { return "asynchronous operation"; }
    @Override public Object getAttribute(String name, int scope) { return attributes.get(name); }
    @Override public void setAttribute(String name, Object value, int scope) { attributes.put(name, value); }
    @Override public void removeAttribute(String name, int scope) { attributes.remove(name); }
    @Override public String[] getAttributeNames(int scope) { return attributes.keySet().toArray(String[]::new); }
    @Override public void registerDestructionCallback(String name, Runnable callback, int scope) { }
    @Override public Object resolveReference(String key) { return null; }
    @Override public String getSessionId() { return ""; }
    @Override public Object getSessionMutex() { return this; }
}
