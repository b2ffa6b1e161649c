package dev.orchestrator.bench;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;

/**
 * Runs in a fresh JVM as the Lambda runtime would: builds the handler with its no-argument
 * constructor (environment from the process), handles one event, prints a marker and exits.
 * The parent times process start to marker; the marker also carries the output's size and the handler's own time in
 * microseconds (loading the handler's class to its return). Arguments: handler class, event file.
 */
public final class ColdChild {

    private ColdChild() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getenv("BENCH_COLD_TRACE") != null) {
            ColdTrace.install();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long h0 = System.nanoTime(); // the handler's own time (its class, constructor and one event), without the JVM's start
        try (InputStream in = new FileInputStream(args[1])) {
            RequestStreamHandler handler = (RequestStreamHandler) Class.forName(args[0]).getConstructor().newInstance();
            handler.handleRequest(in, out, new BenchContext(System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "cold")));
        } catch (Throwable e) {
            System.out.println("COLD-FAIL " + e);
            e.printStackTrace();
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
        long handlerMicros = (System.nanoTime() - h0) / 1_000;
        System.out.println("COLD-DONE " + out.size() + " " + handlerMicros);
        System.out.flush();
        if (System.getenv("BENCH_COLD_EXIT") != null) {
            System.exit(0); // diagnostics: run shutdown hooks (a flight recording is written by one)
        }
        Runtime.getRuntime().halt(0); // the measurement ends at the marker; skip shutdown hooks
    }
}
