package dev.orchestrator.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The cost of a map over a list per element (issue 21): one activity whose parallel stage maps one plugin over N
 * elements, {@link #MAX_CONCURRENCY} in flight, measured by the {@link RunMeter} (write units from the streams, API
 * calls, engine and plugin invocations) and divided by N. The list comes from the run's metadata or from an S3 object
 * ({@link Source}): a list in the metadata rides in the run's header, which the engine rewrites as elements end, so
 * its length shows in the header's write units; a list in S3 is read once when the stage starts. Constant per element
 * is the design: compare the rows for 100 and 1,000.
 */
final class MapCost {

    static final int MAX_CONCURRENCY = 50;
    /** The bucket the S3 rows' lists are in (the stack's MapListBucket). */
    static final String LIST_BUCKET = "bench-map-lists";

    /** Where the mapped list comes from. */
    enum Source {
        METADATA("metadata"), S3("S3 object");

        final String label;

        Source(String label) {
            this.label = label;
        }
    }

    record Result(int elements, Source source, String status, long endToEndMillis, RunMeter.Run run) {
        double per(long total) {
            return total / (double) elements;
        }
    }

    private MapCost() {
    }

    static Result measure(Path root, int n, Source source) {
        Map<String, String> parameters = source == Source.S3 ? Map.of("MapListBucket", LIST_BUCKET) : Map.of();
        try (BenchStack s = BenchStack.deploy(root, "map" + n, List.of("Fan"), 0, parameters).start(); RunMeter meter = new RunMeter(s)) {
            s.registerParallel("Fan", 1);
            StringBuilder list = new StringBuilder("[");
            for (int i = 0; i < n; i++) {
                list.append(i == 0 ? "" : ",").append(i);
            }
            list.append(']');
            String items = "$.metadata.elements";
            String metadata = "{\"tier\":\"basic\",\"elements\":" + list + "}";
            if (source == Source.S3) {
                try (var s3 = s.emulator.client(software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true))) {
                    s3.createBucket(b -> b.bucket(LIST_BUCKET));
                    s3.putObject(b -> b.bucket(LIST_BUCKET).key("elements.json"),
                            software.amazon.awssdk.core.sync.RequestBody.fromString(list.toString()));
                }
                items = "s3://" + LIST_BUCKET + "/elements.json";
                metadata = "{\"tier\":\"basic\"}";
            }
            long timeout = Math.max(300_000, n * 2_000L);
            meter.begin();
            long t0 = System.nanoTime();
            s.startRaw("{\"uid\":\"timed\",\"workflow\":\"map\",\"metadata\":" + metadata + ","
                    + "\"activities\":[{\"name\":\"Fan\",\"map\":{\"items\":\"" + items + "\",\"maxConcurrency\":"
                    + MAX_CONCURRENCY + "}}]}");
            String status = s.awaitEnd("timed", "map", timeout, 250);
            long e2e = (System.nanoTime() - t0) / 1_000_000;
            return new Result(n, source, status, e2e, meter.end("timed"));
        }
    }
}
