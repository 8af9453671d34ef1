package org.visionserve.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.visionserve.service.Http;
import org.visionserve.service.Metrics;
import org.visionserve.service.ServiceTestBase;
import org.visionserve.service.TestModels;
import org.visionserve.service.runtime.ModelRunner;
import org.visionserve.service.runtime.RequestScope;
import org.visionserve.service.segmentation.nifti.NiftiDatatype;
import org.visionserve.service.segmentation.nifti.NiftiReader;
import org.visionserve.service.segmentation.nifti.NiftiWriter;
import tools.jackson.databind.JsonNode;

/**
 * POST /v1/models/ivd_net/segment over real HTTP with the real (seeded) IVD-Net: synthetic examinations
 * written as NIfTI by the test (rotated sform or qform, gzip and not, int16 and float32) and PNG slices;
 * the JSON, the mask round trip, the preview, content negotiation, metrics and every error path. Volumes
 * are small (4 x 64 x 64; one 3 x 256 x 256 case) because IVD-Net takes about 0.5 s per 256x256 slice here.
 */
class SegmentApiTest extends ServiceTestBase {

    private static final String URL = "/v1/models/" + TestModels.IVD + "/segment";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final NiftiReader reader = new NiftiReader(VolumeLimits.DEFAULT);

    /** The four modalities of a synthetic spine on an nx x ny x nz grid, as NIfTI files (fat and opp gzipped). */
    private static Map<Modality, byte[]> exam(SyntheticSpine spine) {
        byte[] truth = spine.mask();
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            NiftiDatatype type = m == Modality.INN ? NiftiDatatype.FLOAT32 : NiftiDatatype.INT16;
            files.put(m, NiftiWriter.write(spine.geometry, spine.modality(m, truth), type,
                    m == Modality.FAT || m == Modality.OPP));
        }
        return files;
    }

    private static List<Http.Part> parts(Map<Modality, byte[]> files) {
        List<Http.Part> parts = new ArrayList<>();
        files.forEach((m, bytes) -> parts.add(new Http.Part(m.key, m.key + ".nii", "application/octet-stream", bytes)));
        return parts;
    }

    /** A multipart POST with an Accept header, the body kept as bytes. */
    private HttpResponse<byte[]> post(String pathAndQuery, String accept, List<Http.Part> parts) throws Exception {
        String boundary = "----visionserve" + UUID.randomUUID();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Http.Part p : parts) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name()
                    + "\"; filename=\"" + p.fileName() + "\"\r\nContent-Type: " + p.contentType() + "\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(p.bytes());
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        return tools.jackson.databind.json.JsonMapper.builder().build().readTree(new String(r.body(), StandardCharsets.UTF_8));
    }

    private static double[] doubles(JsonNode array) {
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = array.get(i).asDouble();
        }
        return d;
    }

    @Test
    void niftiExaminationGivesDiscsGeometryTimingsAndEmbeddedMaskAndPreview() throws Exception {
        SyntheticSpine spine = new SyntheticSpine(4, 64, 64);
        double okBefore = counterOrZero("visionserve_requests_total", "model", TestModels.IVD, "outcome", "ok");
        HttpResponse<byte[]> r = post(URL + "?include=mask,preview", null, parts(exam(spine)));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode j = json(r);
        assertThat(j.get("model").asString()).isEqualTo(TestModels.IVD);
        assertThat(j.get("device").asString()).isEqualTo("cpu");
        assertThat(j.get("weights").asString()).isEqualTo("seeded");
        assertThat(j.get("weightsNote").asString()).contains("not trained");

        JsonNode in = j.get("input");
        assertThat(in.get("kind").asString()).isEqualTo("nifti");
        assertThat(in.get("shape").toString()).isEqualTo("[4,64,64]");
        assertThat(doubles(in.get("spacingMm"))).containsExactly(new double[] {2, 1.25, 1.25}, within(1e-5));
        for (int row = 0; row < 3; row++) {
            for (int c = 0; c < 4; c++) {
                assertThat(in.get("affine").get(row).get(c).asDouble()).isCloseTo(spine.affine.get(row, c), within(1e-4));
            }
        }
        assertThat(in.get("affineSource").asString()).isEqualTo("sform");
        assertThat(in.get("sliceAxis").asInt()).isZero(); // the 2 mm axis, closest to left-right
        assertThat(in.get("slices").asInt()).isEqualTo(4);
        assertThat(in.get("sliceSize").toString()).isEqualTo("[64,64]");
        assertThat(in.get("netSize").toString()).isEqualTo("[64,64]");
        assertThat(in.get("batchSize").asInt()).isEqualTo(2);
        assertThat(in.get("batches").asInt()).isEqualTo(2);

        JsonNode t = j.get("timings");
        for (String stage : new String[] {"decode", "normalise", "queue", "inference", "postprocess", "encode", "total"}) {
            assertThat(t.get(stage).asDouble()).as(stage).isGreaterThanOrEqualTo(0);
        }
        assertThat(t.get("inference").asDouble()).isPositive();
        assertThat(t.get("total").asDouble()).isGreaterThanOrEqualTo(t.get("inference").asDouble() + t.get("decode").asDouble());

        // the mask: a .nii.gz on the input's grid whose foreground is what the JSON counts
        JsonNode maskNode = j.get("mask");
        assertThat(maskNode.get("mediaType").asString()).isEqualTo("application/gzip");
        assertThat(maskNode.get("fileName").asString()).isEqualTo("ivd_net-mask.nii.gz");
        byte[] maskBytes = Base64.getDecoder().decode(maskNode.get("base64").asString());
        assertThat(maskNode.get("bytes").asLong()).isEqualTo(maskBytes.length);
        Volume mask = reader.read(maskBytes);
        assertThat(mask.geometry().dims()).containsExactly(4, 64, 64);
        assertThat(mask.geometry().maxCornerDistance(spine.geometry)).isLessThan(1e-3);
        long foreground = 0;
        for (float v : mask.data()) {
            assertThat(v).isIn(0f, 1f);
            foreground += v != 0 ? 1 : 0;
        }
        assertThat(foreground).isEqualTo(j.get("foregroundVoxels").asLong());

        // discs: consistent with the mask and the affine, ordered cranio-caudally (superior = world +z first)
        double voxelMm3 = Math.abs(spine.affine.determinant());
        long inDiscs = 0;
        double previousZ = Double.POSITIVE_INFINITY;
        int position = 1;
        for (JsonNode d : j.get("discs")) {
            assertThat(d.get("position").asInt()).isEqualTo(position++);
            assertThat(d.get("label").asString()).isNotBlank();
            long voxels = d.get("voxels").asLong();
            inDiscs += voxels;
            assertThat(d.get("volumeMm3").asDouble()).isCloseTo(voxels * voxelMm3, within(1e-6 * voxels * voxelMm3));
            assertThat(d.get("volumeMm3").asDouble()).isGreaterThanOrEqualTo(j.get("minDiscVolumeMm3").asDouble());
            double[] cv = doubles(d.get("centroidVoxel"));
            double[] world = spine.affine.apply(cv[0], cv[1], cv[2]);
            assertThat(doubles(d.get("centroidMm"))).containsExactly(world, within(1e-3));
            double[] lo = doubles(d.get("boundingBox").get("min"));
            double[] hi = doubles(d.get("boundingBox").get("max"));
            for (int a = 0; a < 3; a++) {
                assertThat(cv[a]).isBetween(lo[a], hi[a]);
            }
            assertThat(d.get("meanProbability").asDouble()).isGreaterThan(0.5).isLessThanOrEqualTo(1.0);
            assertThat(world[2]).isLessThanOrEqualTo(previousZ + 1e-9);
            previousZ = world[2];
        }
        assertThat(inDiscs).isLessThanOrEqualTo(foreground);
        assertThat(j.get("discs").size() + j.get("componentsDropped").asInt() > 0).isEqualTo(foreground > 0);

        // the preview: a PNG of the stated size
        JsonNode preview = j.get("preview");
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(preview.get("base64").asString())));
        assertThat(img.getWidth()).isEqualTo(preview.get("width").asInt()).isPositive();
        assertThat(img.getHeight()).isEqualTo(preview.get("height").asInt()).isPositive();
        assertThat(preview.get("sliceAxis").asInt()).isZero();
        assertThat(preview.get("sliceIndex").asInt()).isEqualTo(1);

        String scrape = http.get("/actuator/prometheus").body();
        // the stage vocabulary of every pipeline: the answer's 'normalise' is the histogram's 'preprocess'
        for (String stage : new String[] {"decode", "preprocess", "queue", "inference", "postprocess", "encode", "total"}) {
            assertThat(Metrics.value(scrape, "visionserve_stage_seconds_count", "model", TestModels.IVD, "stage", stage))
                    .as(stage).isPositive();
        }
        assertThat(Metrics.has(scrape, "visionserve_stage_seconds_count", "stage", "normalise")).isFalse();
        assertThat(Metrics.value(scrape, "visionserve_requests_total", "model", TestModels.IVD, "outcome", "ok"))
                .isGreaterThan(okBefore);
    }

    @Test
    void acceptChoosesTheMaskAsNiftiGzipOrRawAndThePreviewAsPng() throws Exception {
        // a qform-only geometry (rotated quaternion, negative qfac), all four uncompressed float32
        VolumeGeometry g = VolumeGeometry.ofQuaternion(4, 64, 96, new double[] {2.2, 1.2, 1.3}, -1,
                0.1, -0.2, 0.15, 12.5, -30, 44);
        SyntheticSpine spine = new SyntheticSpine(4, 64, 96);
        byte[] truth = spine.mask();
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            files.put(m, NiftiWriter.write(g, spine.modality(m, truth), NiftiDatatype.FLOAT32, false));
        }

        HttpResponse<byte[]> gz = post(URL, "application/gzip", parts(files));
        assertThat(gz.statusCode()).isEqualTo(200);
        assertThat(gz.headers().firstValue("Content-Type").orElse("")).isEqualTo("application/gzip");
        assertThat(gz.headers().firstValue("Content-Disposition").orElse("")).contains("ivd_net-mask.nii.gz");
        // the header's metric names are public: the answer's timings, in their order
        assertThat(gz.headers().firstValue("Server-Timing").orElse("")).matches("decode;dur=[0-9.]+, normalise;dur=[0-9.]+, "
                + "queue;dur=[0-9.]+, inference;dur=[0-9.]+, postprocess;dur=[0-9.]+, encode;dur=[0-9.]+, total;dur=[0-9.]+");
        assertThat(gz.headers().firstValue("Visionserve-Discs").orElse("")).matches("\\d+");
        assertThat(gz.body()[0] & 0xff).isEqualTo(0x1f);
        Volume fromGz = reader.read(gz.body());
        assertThat(fromGz.geometry().affineSource()).isEqualTo(VolumeGeometry.AffineSource.QFORM);
        assertThat(fromGz.geometry().dims()).containsExactly(4, 64, 96);
        assertThat(fromGz.geometry().maxCornerDistance(g)).isLessThan(1e-3);
        assertThat(fromGz.geometry().pixdim()[0]).isEqualTo(-1);

        HttpResponse<byte[]> raw = post(URL, "application/octet-stream", parts(files));
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.headers().firstValue("Content-Disposition").orElse("")).contains("ivd_net-mask.nii\"");
        assertThat(ByteBuffer.wrap(raw.body()).order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(348);
        assertThat(reader.read(raw.body()).data()).containsExactly(fromGz.data()); // same run, same mask

        // format overrides Accept; the preview is the mid-sagittal slice, 64 rows by 96 columns at 1.2 mm
        for (String[] ask : new String[][] {{"", "image/png"}, {"?format=preview", "*/*"}}) {
            HttpResponse<byte[]> png = post(URL + ask[0], ask[1], parts(files));
            assertThat(png.statusCode()).isEqualTo(200);
            assertThat(png.headers().firstValue("Content-Type").orElse("")).isEqualTo("image/png");
            assertThat(png.headers().firstValue("Content-Disposition").orElse("")).contains("ivd_net-preview.png");
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png.body()));
            assertThat(img).isNotNull();
            assertThat((long) img.getWidth() * img.getHeight()).isPositive();
        }

        HttpResponse<byte[]> mask = post(URL + "?format=mask", null, parts(files));
        assertThat(mask.headers().firstValue("Content-Type").orElse("")).isEqualTo("application/gzip");
        assertThat(reader.read(mask.body()).data()).containsExactly(fromGz.data());

        // q=0 excludes, higher q wins over order
        HttpResponse<byte[]> q = post(URL, "application/json;q=0.2, application/octet-stream;q=0.9", parts(files));
        assertThat(q.headers().firstValue("Content-Type").orElse("")).isEqualTo("application/octet-stream");
        HttpResponse<byte[]> none = post(URL, "text/csv", parts(files));
        assertThat(none.statusCode()).isEqualTo(406);
    }

    /**
     * PNG slices (50 x 70, three 8-bit and one 16-bit): padded to 64 x 96 and scaled by 1/255 (1/65535) as the
     * reference's ToTensor does; the returned PNG mask must equal the argmax of the same model run on a
     * tensor built here independently.
     */
    @Test
    void pngSlicesGiveAPngMaskEqualToTheModelsArgmax() throws Exception {
        int rows = 50;
        int cols = 70;
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        float[][] values = new float[4][rows * cols];
        for (Modality m : Modality.values()) {
            boolean sixteen = m == Modality.OPP;
            BufferedImage img = new BufferedImage(cols, rows, sixteen ? BufferedImage.TYPE_USHORT_GRAY : BufferedImage.TYPE_BYTE_GRAY);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    double e = Math.pow((r - 25) / 6.0, 2) + Math.pow((c - 35) / 20.0, 2);
                    double v = e < 1 ? 0.9 : 0.2 + 0.3 * Math.sin(r * 0.3 + m.ordinal()) * Math.cos(c * 0.2);
                    int full = sixteen ? 65535 : 255;
                    int sample = (int) Math.round(Math.max(0, Math.min(1, v)) * full);
                    img.getRaster().setSample(c, r, 0, sample);
                    values[m.channel()][r * cols + c] = (float) sample / full;
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            files.put(m, out.toByteArray());
        }
        List<Http.Part> parts = new ArrayList<>();
        files.forEach((m, b) -> parts.add(new Http.Part(m.key, m.key + ".png", "image/png", b)));

        HttpResponse<byte[]> r = post(URL + "?format=mask", null, parts);
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).isEqualTo("image/png");
        BufferedImage mask = ImageIO.read(new ByteArrayInputStream(r.body()));
        assertThat(mask.getWidth()).isEqualTo(cols);
        assertThat(mask.getHeight()).isEqualTo(rows);

        int h = 64;
        int w = 96;
        int top = (h - rows) / 2;
        int left = (w - cols) / 2;
        FloatBuffer input = ByteBuffer.allocateDirect(4 * h * w * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int ch = 0; ch < 4; ch++) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    input.put(ch * h * w + (y + top) * w + x + left, values[ch][y * cols + x]);
                }
            }
        }
        ModelRunner.Output logits = repository.ready(TestModels.IVD).runner().infer(input, new long[] {1, 4, h, w}, RequestScope.withTimeout(java.time.Duration.ofMinutes(2))).value();
        float[] l = logits.values();
        long disc = 0;
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int at = (y + top) * w + x + left;
                int expected = l[h * w + at] > l[at] ? 255 : 0;
                disc += expected != 0 ? 1 : 0;
                assertThat(mask.getRaster().getSample(x, y, 0)).as("pixel (%d, %d)", x, y).isEqualTo(expected);
            }
        }

        HttpResponse<byte[]> j = post(URL, "application/json", parts);
        JsonNode body = json(j);
        assertThat(body.get("input").get("kind").asString()).isEqualTo("png");
        assertThat(body.get("input").get("shape").toString()).isEqualTo("[1,50,70]");
        assertThat(body.get("input").get("netSize").toString()).isEqualTo("[64,96]");
        assertThat(body.get("foregroundVoxels").asLong()).isEqualTo(disc);
        HttpResponse<byte[]> png = post(URL, "image/png", parts); // for 2-D input: the mask
        assertThat(png.body()).isEqualTo(r.body());
    }

    /**
     * The one IVDM3Seg-sized case (3 sagittal slices of 256 x 256, all gzipped), and while it runs, a
     * second examination waits its turn in the volumes pool's queue (max-concurrent 1) and is served.
     */
    @Test
    void fullSizeSlicesAndASecondVolumeWhileOneRunsWaitsItsTurn() throws Exception {
        SyntheticSpine big = new SyntheticSpine(3, 256, 256);
        byte[] truth = big.mask();
        Map<Modality, byte[]> files = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            files.put(m, NiftiWriter.write(big.geometry, big.modality(m, truth), NiftiDatatype.INT16, true));
        }
        List<Http.Part> small = parts(exam(new SyntheticSpine(4, 64, 64)));

        CompletableFuture<HttpResponse<byte[]>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return post(URL + "?format=mask", null, parts(files));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (counter("visionserve_segmentation_in_flight") < 1) {
            assertThat(first.isDone()).as("the 3x256x256 request ended before it was seen in the pipeline").isFalse();
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5);
        }
        // Whether the big one is still running when the second arrives is a race: either way it is served.
        HttpResponse<byte[]> second = post(URL, null, small);
        assertThat(second.statusCode()).as(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo(200);

        HttpResponse<byte[]> done = first.get();
        assertThat(done.statusCode()).isEqualTo(200);
        Volume mask = reader.read(done.body());
        assertThat(mask.geometry().dims()).containsExactly(3, 256, 256);
        assertThat(mask.geometry().maxCornerDistance(big.geometry)).isLessThan(1e-3);
        assertThat(done.headers().firstValue("Server-Timing").orElse("")).contains("inference;dur=");
        assertThat(counter("visionserve_segmentation_in_flight")).isZero(); // the places were given back
    }

    @Test
    void manyVolumesKeepDirectMemoryFlatAndGiveTheirPlaceBack() throws Exception {
        List<Http.Part> parts = parts(exam(new SyntheticSpine(2, 128, 128))); // one batch of 2 slices
        List<Http.Part> broken = new ArrayList<>(parts);
        broken.set(0, new Http.Part("fat", "fat.nii", "application/octet-stream", new byte[] {1, 2, 3}));
        for (int i = 0; i < 3; i++) {
            assertThat(post(URL, null, parts).statusCode()).isEqualTo(200);
        }
        long maxGrowth = Long.MIN_VALUE;
        for (int i = 0; i < 8; i++) {
            long before = directMemory(); // at once after each answer: see ServiceTestBase.directMemory
            assertThat(post(URL, null, parts).statusCode()).isEqualTo(200);
            assertThat(post(URL, null, broken).statusCode()).isEqualTo(400);
            maxGrowth = Math.max(maxGrowth, directMemory() - before);
        }
        System.out.println("direct memory growth per volume pair, at most: " + maxGrowth + " bytes");
        // Without the shared buffer pool, each volume would keep a batch buffer of 2 x 4 x 128 x 128 floats,
        // 524 kB: slices this large keep that well above the I/O buffers the server and client threads cache
        // on their first requests (up to 128 kB per pair, measured).
        assertThat(maxGrowth).as("direct memory growth in bytes").isLessThan(262_000);
        assertThat(counter("visionserve_segmentation_in_flight")).isZero();
    }

    // ---- errors -----------------------------------------------------------------------------------

    private JsonNode problem(HttpResponse<byte[]> r, int status, String code) {
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        JsonNode p = json(r);
        assertThat(p.get("code").asString()).isEqualTo(code);
        assertThat(p.get("type").asString()).isEqualTo("urn:visionserve:problem:" + code);
        return p;
    }

    private static Map<Modality, byte[]> with(Map<Modality, byte[]> files, Modality m, byte[] bytes) {
        Map<Modality, byte[]> copy = new EnumMap<>(files);
        copy.put(m, bytes);
        return copy;
    }

    @Test
    void badFilesAre400NamingThePartAndTheProblem() throws Exception {
        SyntheticSpine spine = new SyntheticSpine(4, 64, 64);
        Map<Modality, byte[]> files = exam(spine);
        double clientErrors = counterOrZero("visionserve_requests_total", "model", TestModels.IVD, "outcome", "client_error");

        // a header that lies: it says 4 x 64 x 64 int16 (32768 bytes of data), the file holds 1000 fewer
        // (a header whose dims differ from the other modalities' is refused from the headers alone: 422)
        byte[] full = NiftiWriter.write(spine.geometry, new float[spine.geometry.voxelCount()], NiftiDatatype.INT16, false);
        byte[] lying = Arrays.copyOf(full, full.length - 1000);
        JsonNode p = problem(post(URL, null, parts(with(files, Modality.WAT, lying))), 400, "invalid-volume");
        assertThat(p.get("reason").asString()).isEqualTo("size-mismatch");
        assertThat(p.get("part").asString()).isEqualTo("wat");
        assertThat(p.get("detail").asString()).contains("part 'wat'").contains("4x64x64").contains("file has 31768");

        byte[] gz = files.get(Modality.FAT);
        p = problem(post(URL, null, parts(with(files, Modality.FAT, Arrays.copyOf(gz, gz.length / 2)))), 400, "invalid-volume");
        assertThat(p.get("reason").asString()).isEqualTo("truncated");
        assertThat(p.get("part").asString()).isEqualTo("fat");

        byte[] text = "subject,age\n01,34\n".repeat(30).getBytes(StandardCharsets.UTF_8);
        p = problem(post(URL, null, parts(with(files, Modality.INN, text))), 400, "invalid-volume");
        assertThat(p.get("reason").asString()).isEqualTo("not-recognised");
        assertThat(p.get("part").asString()).isEqualTo("inn");

        // a missing part
        Map<Modality, byte[]> three = new EnumMap<>(files);
        three.remove(Modality.OPP);
        p = problem(post(URL, null, parts(three)), 400, "invalid-parameter");
        assertThat(p.get("detail").asString()).contains("opp").contains("fat, inn (in-phase), opp (opposed-phase) and wat");

        p = problem(post(URL + "?format=dicom", null, parts(files)), 400, "invalid-parameter");
        assertThat(p.get("parameter").asString()).isEqualTo("format");
        p = problem(post(URL + "?include=labels", null, parts(files)), 400, "invalid-parameter");
        assertThat(p.get("parameter").asString()).isEqualTo("include");

        assertThat(counter("visionserve_requests_total", "model", TestModels.IVD, "outcome", "client_error"))
                .isGreaterThanOrEqualTo(clientErrors + 6);
    }

    @Test
    void modalitiesOnDifferentGridsAre422() throws Exception {
        SyntheticSpine spine = new SyntheticSpine(4, 64, 64);
        Map<Modality, byte[]> files = exam(spine);
        SyntheticSpine narrower = new SyntheticSpine(4, 64, 32);
        byte[] otherShape = NiftiWriter.write(narrower.geometry, new float[narrower.geometry.voxelCount()],
                NiftiDatatype.INT16, false);
        JsonNode p = problem(post(URL, null, parts(with(files, Modality.OPP, otherShape))), 422, "modality-mismatch");
        assertThat(p.get("part").asString()).isEqualTo("opp");
        assertThat(p.get("detail").asString()).contains("4x64x32").contains("4x64x64");

        // same shape, shifted 5 mm
        Affine a = spine.affine;
        Affine shifted = Affine.ofRows(new double[] {a.get(0, 0), a.get(0, 1), a.get(0, 2), a.get(0, 3) + 5},
                new double[] {a.get(1, 0), a.get(1, 1), a.get(1, 2), a.get(1, 3)},
                new double[] {a.get(2, 0), a.get(2, 1), a.get(2, 2), a.get(2, 3)});
        byte[] moved = NiftiWriter.write(VolumeGeometry.ofAffine(4, 64, 64, shifted),
                new float[spine.geometry.voxelCount()], NiftiDatatype.INT16, true);
        p = problem(post(URL, null, parts(with(files, Modality.WAT, moved))), 422, "modality-mismatch");
        assertThat(p.get("part").asString()).isEqualTo("wat");
        assertThat(p.get("detail").asString()).contains("not co-registered");
    }

    @Test
    void volumesOverTheLimitsAre413NamingTheConfigKey() throws Exception {
        Map<Modality, byte[]> files = exam(new SyntheticSpine(4, 64, 64));
        // only the header is sent: the limits are checked from it before any voxel is read
        VolumeGeometry many = new SyntheticSpine(8, 256, 256).geometry; // 524288 voxels > 300000
        byte[] header = Arrays.copyOf(NiftiWriter.write(VolumeGeometry.ofAffine(1, 1, 1, many.affine()), new float[1],
                NiftiDatatype.INT16, false), 352);
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) 8).putShort(44, (short) 256)
                .putShort(46, (short) 256);
        JsonNode p = problem(post(URL, null, parts(with(files, Modality.FAT, header))), 413, "payload-too-large");
        assertThat(p.get("configKey").asString()).isEqualTo("visionserve.limits.max-volume-voxels");
        assertThat(p.get("limit").asLong()).isEqualTo(300_000);
        assertThat(p.get("part").asString()).isEqualTo("fat");

        // 4 x 256 x 256 float64 = 262144 voxels (under 300000) but 2 MiB + header: over max-volume-bytes (2MB)
        byte[] f64 = Arrays.copyOf(NiftiWriter.write(VolumeGeometry.ofAffine(1, 1, 1, many.affine()), new float[1],
                NiftiDatatype.FLOAT64, false), 352);
        ByteBuffer.wrap(f64).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) 4).putShort(44, (short) 256)
                .putShort(46, (short) 256);
        p = problem(post(URL, null, parts(with(files, Modality.INN, f64))), 413, "payload-too-large");
        assertThat(p.get("configKey").asString()).isEqualTo("visionserve.limits.max-volume-bytes");
        assertThat(p.get("limit").asLong()).isEqualTo(2L << 20);

        // slices of 1 x 288 x 288 run as 288 x 288 = 82944 pixels > max-slice-pixels 65536
        VolumeGeometry wide = VolumeGeometry.ofAffine(1, 288, 288, Affine.scaling(2, 1, 1));
        Map<Modality, byte[]> big = new EnumMap<>(Modality.class);
        for (Modality m : Modality.values()) {
            big.put(m, NiftiWriter.write(wide, new float[wide.voxelCount()], NiftiDatatype.UINT8, true));
        }
        p = problem(post(URL, null, parts(big)), 413, "payload-too-large");
        assertThat(p.get("configKey").asString()).isEqualTo("visionserve.limits.max-slice-pixels");
        assertThat(p.get("limit").asLong()).isEqualTo(65536);
    }

    @Test
    void unknownModelWrongTaskAndWrongContentType() throws Exception {
        List<Http.Part> parts = parts(exam(new SyntheticSpine(4, 64, 64)));
        problem(post("/v1/models/resnet9000/segment", null, parts), 404, "unknown-model");
        JsonNode p = problem(post("/v1/models/" + TestModels.ATTO + "/segment", null, parts), 409, "wrong-task");
        assertThat(p.get("detail").asString()).contains("classification model").contains("segmentation");
        // and the segmentation model refuses classification
        problem(post("/v1/models/" + TestModels.IVD + "/classify", null,
                List.of(new Http.Part("file", "a.png", "image/png", new byte[] {1}))), 409, "wrong-task");

        Http.Response json = http.post(URL, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(json.status()).isEqualTo(415);
        assertThat(json.json().get("detail").asString()).contains("fat, inn, opp and wat");
        // an error asked for as a picture is still a problem document
        problem(post("/v1/models/resnet9000/segment", "image/png", parts), 404, "unknown-model");
    }

    @Test
    void openApiDescribesTheEndpointItsPartsAndAnswers() {
        JsonNode op = http.get("/v3/api-docs").json().get("paths").get("/v1/models/{id}/segment").get("post");
        JsonNode body = op.get("requestBody").get("content").get("multipart/form-data").get("schema");
        assertThat(String.valueOf(body.get("required"))).as(op.toString()).isEqualTo("[\"fat\",\"inn\",\"opp\",\"wat\"]");
        for (String part : new String[] {"fat", "inn", "opp", "wat"}) {
            assertThat(body.get("properties").get(part).get("format").asString()).isEqualTo("binary");
        }
        JsonNode ok = op.get("responses").get("200").get("content");
        assertThat(ok.has("application/json") && ok.has("application/gzip") && ok.has("application/octet-stream")
                && ok.has("image/png")).isTrue();
        assertThat(ok.get("application/json").get("example").toString()).contains("centroidMm");
        assertThat(op.get("responses").has("422") && op.get("responses").has("413")).isTrue();
    }
}
