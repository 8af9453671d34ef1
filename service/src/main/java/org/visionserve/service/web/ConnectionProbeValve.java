package org.visionserve.service.web;

import jakarta.servlet.ServletException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Gives each request a probe that tells whether its client is gone, for {@link RequestScopes}: a
 * servlet is not told when the connection closes while it works (Tomcat only notices on the next
 * read or write). Once the request's body has been read, a non-blocking read of the connection finds
 * its end (EOF or reset) at once; an open, idle connection has nothing to read. Bytes a client sends
 * after its body (a pipelined request) also count as "gone": HTTP clients do not pipeline POSTs.
 * The probe is asked from the request watchdog, only while the request's scope is open.
 */
public class ConnectionProbeValve extends ValveBase {

    public static final String ATTRIBUTE = ConnectionProbeValve.class.getName() + ".clientGone";

    public ConnectionProbeValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        org.apache.coyote.Request coyote = request.getCoyoteRequest();
        BooleanSupplier gone = () -> {
            AtomicBoolean bodyRead = new AtomicBoolean();
            coyote.action(ActionCode.REQUEST_BODY_FULLY_READ, bodyRead);
            if (!bodyRead.get()) {
                return false; // still uploading: the upload's own timeouts apply
            }
            coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
            return coyote.getAvailable() > 0;
        };
        request.setAttribute(ATTRIBUTE, gone);
        getNext().invoke(request, response);
    }
}
