package dev.orchestrator.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

/**
 * A real AWS API on loopback: {@code AWS_ENDPOINT_URL} when set, else a {@code moto_server} this
 * class starts on a free port and stops afterwards. Without either it fails, saying what to install:
 * tests never skip silently. Use as a JUnit 5 extension ({@code @RegisterExtension static}) or
 * directly ({@link #start()} / {@link #close()}) from a main.
 */
public final class Emulator implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    static {
        // As the orchestrator's own clients do (Names.allowLongNamesInSdk): DynamoDB accepts 64 KB attribute
        // names, the SDK's JSON parser refuses names over 50,000 characters unless told otherwise.
        software.amazon.awssdk.thirdparty.jackson.core.StreamReadConstraints.overrideDefaultStreamReadConstraints(
                software.amazon.awssdk.thirdparty.jackson.core.StreamReadConstraints.builder().maxNameLength(1_048_576).build());
    }

    public static final String REGION = "us-east-1";
    public static final String ACCESS_KEY = "testing";
    public static final String SECRET_KEY = "testing";

    private URI endpoint;
    private Process moto;
    private Path log;

    /** Starts (or attaches to) the emulator. Idempotent. */
    public synchronized Emulator start() {
        if (endpoint != null) {
            return this;
        }
        String given = System.getenv("AWS_ENDPOINT_URL");
        if (given != null && !given.isBlank()) {
            endpoint = URI.create(given.trim());
            return this;
        }
        String python = System.getenv().getOrDefault("ORCHESTRATOR_PYTHON", "python3");
        int port = freePort();
        try {
            log = Files.createTempFile("moto-", ".log");
            Path launcher = Files.createTempFile("moto_serialized", ".py");
            try (var in = Emulator.class.getResourceAsStream("moto_serialized.py")) {
                Files.write(launcher, in.readAllBytes());
            }
            moto = new ProcessBuilder(python, launcher.toString(), "127.0.0.1", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw missing(e.getMessage());
        }
        endpoint = URI.create("http://127.0.0.1:" + port);
        writePidFile();
        awaitUp(Duration.ofSeconds(30));
        return this;
    }

    /**
     * With {@code -Dorchestrator.emulator.pidfile=PATH} (as {@code scripts/local} passes), the emulator's
     * pid goes there, so a start after a crash can stop a leftover emulator. The emulator also exits by
     * itself when this JVM dies (a watchdog in {@code moto_serialized.py}); the file is the second line
     * of defence, e.g. for an emulator started by an older version.
     */
    private void writePidFile() {
        String pidFile = System.getProperty("orchestrator.emulator.pidfile");
        if (pidFile == null || pidFile.isBlank()) {
            return;
        }
        try {
            Path path = Path.of(pidFile);
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            Files.writeString(path, moto.pid() + "\n");
        } catch (IOException e) {
            System.err.println("could not write the emulator's pid file " + pidFile + ": " + e);
        }
    }

    private static IllegalStateException missing(String why) {
        return new IllegalStateException("No AWS emulator: AWS_ENDPOINT_URL is not set and moto's server could not be"
                + " started (" + why + "). Install it with: pip install 'moto[server]' - or point AWS_ENDPOINT_URL at a"
                + " running emulator (e.g. LocalStack).");
    }

    private void awaitUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!moto.isAlive()) {
                throw missing("it exited with " + moto.exitValue() + "; its log: " + tail());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(1000);
                if (c.getResponseCode() > 0) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            sleep(100);
        }
        throw new IllegalStateException("moto_server did not answer on " + endpoint + " within " + timeout + ": " + tail());
    }

    private String tail() {
        try {
            String s = log == null ? "" : Files.readString(log);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    public URI endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException("emulator not started");
        }
        return endpoint;
    }

    /** Environment entries a handler needs to talk to this emulator. */
    public Map<String, String> clientEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ENDPOINT_URL", endpoint().toString());
        env.put("AWS_REGION", REGION);
        env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        return env;
    }

    /** Configures any SDK v2 client builder for this emulator. */
    public <B extends AwsClientBuilder<B, C>, C> C client(B builder) {
        builder.region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .endpointOverride(endpoint());
        if (builder instanceof AwsSyncClientBuilder<?, ?> sync) {
            // As AwsClients does for an endpoint override: a busy single-threaded emulator may take over the SDK's 30 s.
            sync.httpClientBuilder(UrlConnectionHttpClient.builder().socketTimeout(java.time.Duration.ofMinutes(3)));
        }
        return builder.build();
    }

    @Override
    public synchronized void close() {
        if (moto != null) {
            moto.descendants().forEach(ProcessHandle::destroy);
            moto.destroy();
            try {
                if (!moto.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    moto.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            moto = null;
        }
        endpoint = null;
    }

    public boolean startedHere() {
        return moto != null;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
