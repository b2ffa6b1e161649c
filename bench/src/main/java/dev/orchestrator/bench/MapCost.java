package dev.orchestrator.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * The cost of a map over a list per element (issue 21): one activity whose parallel stage maps one plugin over N
 * elements of the run's metadata, {@link #MAX_CONCURRENCY} in flight, measured by the {@link RunMeter} (write units
 * from the streams, API calls, engine and plugin invocations) and divided by N. Constant per element is the design:
 * compare the rows for 100 and 1,000.
 */
final class MapCost {

    static final int MAX_CONCURRENCY = 50;

    record Result(int elements, String status, long endToEndMillis, RunMeter.Run run) {
        double per(long total) {
            return total / (double) elements;
        }
    }

    private MapCost() {
    }

    static Result measure(Path root, int n) {
        try (BenchStack s = BenchStack.deploy(root, "map" + n, List.of("Fan"), 0).start(); RunMeter meter = new RunMeter(s)) {
            s.registerParallel("Fan", 1);
            StringBuilder list = new StringBuilder("[");
            for (int i = 0; i < n; i++) {
                list.append(i == 0 ? "" : ",").append(i);
            }
            list.append(']');
            long timeout = Math.max(300_000, n * 2_000L);
            meter.begin();
            long t0 = System.nanoTime();
            s.startRaw("{\"uid\":\"timed\",\"workflow\":\"map\",\"metadata\":{\"tier\":\"basic\",\"elements\":" + list + "},"
                    + "\"activities\":[{\"name\":\"Fan\",\"map\":{\"items\":\"$.metadata.elements\",\"maxConcurrency\":"
                    + MAX_CONCURRENCY + "}}]}");
            String status = s.awaitEnd("timed", "map", timeout, 250);
            long e2e = (System.nanoTime() - t0) / 1_000_000;
            return new Result(n, status, e2e, meter.end("timed"));
        }
    }
}
