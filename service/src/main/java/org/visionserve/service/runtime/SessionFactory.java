package org.visionserve.service.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.visionserve.service.config.TempDirs;
import org.visionserve.service.config.VisionServeProperties.CudaFallback;
import org.visionserve.service.config.VisionServeProperties.Device;
import org.visionserve.service.config.VisionServeProperties.EffectiveSettings;

/**
 * Creates ONNX Runtime sessions on the device a model asks for. CUDA is only touched when asked:
 * merely adding the CUDA provider makes the onnxruntime_gpu jar copy its 316 MB provider library to
 * a temp folder, so CPU models never go near it. {@code getAvailableProviders()} cannot tell whether
 * CUDA would work (it lists CUDA with no GPU), so the only honest test is to try it.
 */
public final class SessionFactory {

    private static final Logger log = LoggerFactory.getLogger(SessionFactory.class);

    /** A session with the device it is actually bound to; {@code note} says why it differs from the one asked. */
    public record Bound(OrtSession session, Device device, String note) {
    }

    /** Thrown when CUDA was asked for, could not be bound, and the model's policy is to fail. */
    public static class DeviceUnavailableException extends Exception {
        DeviceUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private SessionFactory() {
    }

    public static Bound open(String modelId, Path onnx, EffectiveSettings s)
            throws OrtException, DeviceUnavailableException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        TempDirs.deleteOrtTempDirAtExit();
        String note = null;
        if (s.device() == Device.CUDA) {
            try (SessionOptions options = options(s)) {
                options.addCUDA(s.cudaDeviceId());
                return new Bound(env.createSession(onnx.toString(), options), Device.CUDA, null);
            } catch (OrtException e) {
                String reason = "CUDA device " + s.cudaDeviceId() + " could not be bound: " + e.getMessage();
                if (s.cudaFallback() == CudaFallback.FAIL) {
                    throw new DeviceUnavailableException(reason + " (cuda-fallback=fail)", e);
                }
                log.warn("model {}: {}; falling back to CPU (set visionserve.models.settings.{}.cuda-fallback=fail "
                        + "to refuse instead)", modelId, reason, modelId);
                note = "CUDA requested but unavailable, running on CPU: " + e.getMessage();
            }
        }
        try (SessionOptions options = options(s)) {
            return new Bound(env.createSession(onnx.toString(), options), Device.CPU, note);
        }
    }

    private static SessionOptions options(EffectiveSettings s) throws OrtException {
        SessionOptions o = new SessionOptions();
        o.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
        o.setIntraOpNumThreads(s.intraOpThreads());
        o.setInterOpNumThreads(s.interOpThreads());
        o.addConfigEntry("session.intra_op.allow_spinning", s.allowSpinning() ? "1" : "0");
        o.addConfigEntry("session.inter_op.allow_spinning", s.allowSpinning() ? "1" : "0");
        o.setExecutionMode(s.interOpThreads() > 1 ? SessionOptions.ExecutionMode.PARALLEL
                : SessionOptions.ExecutionMode.SEQUENTIAL);
        return o;
    }
}
