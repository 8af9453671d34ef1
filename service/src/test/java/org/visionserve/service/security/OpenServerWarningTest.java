package org.visionserve.service.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

@ExtendWith(OutputCaptureExtension.class)
class OpenServerWarningTest {

    @Test
    void warnsOnAllInterfacesOrANonLoopbackAddressWithoutAuthentication(CapturedOutput output) throws Exception {
        assertThat(new SecurityConfig.OpenServerWarning(false, null).check(8080)).isTrue();
        assertThat(output.getOut()).contains("WARN").contains("listening on *:8080 WITHOUT AUTHENTICATION");
        assertThat(new SecurityConfig.OpenServerWarning(false, InetAddress.getByName("10.1.2.3")).check(80)).isTrue();
    }

    @Test
    void silentOnLoopbackOrWithAuthentication() throws Exception {
        assertThat(new SecurityConfig.OpenServerWarning(false, InetAddress.getByName("127.0.0.1")).check(8080)).isFalse();
        assertThat(new SecurityConfig.OpenServerWarning(false, InetAddress.getByName("::1")).check(8080)).isFalse();
        assertThat(new SecurityConfig.OpenServerWarning(true, null).check(8080)).isFalse();
    }
}
