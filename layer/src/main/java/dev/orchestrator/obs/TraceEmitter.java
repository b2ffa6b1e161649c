package dev.orchestrator.obs;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends datagrams to the X-Ray daemon (on Lambda, {@code AWS_XRAY_DAEMON_ADDRESS}, a local UDP port). One
 * channel per JVM, opened on the first document (never on an untraced invocation). A send that fails is
 * dropped: tracing never fails a function; the first failure is logged at DEBUG.
 */
final class TraceEmitter {

    private static final Log LOG = Log.of(TraceEmitter.class);
    private static final AtomicBoolean FAILURE_LOGGED = new AtomicBoolean();
    private static volatile DatagramChannel channel;

    private TraceEmitter() {
    }

    static void send(InetSocketAddress daemon, String datagram) {
        try {
            channel().send(ByteBuffer.wrap(datagram.getBytes(StandardCharsets.UTF_8)), daemon);
        } catch (IOException | RuntimeException e) {
            if (FAILURE_LOGGED.compareAndSet(false, true)) {
                LOG.debug("trace document not sent to the X-Ray daemon; later failures are not logged",
                        "daemon", String.valueOf(daemon), "cause", String.valueOf(e));
            }
        }
    }

    private static DatagramChannel channel() throws IOException {
        DatagramChannel c = channel;
        if (c == null || !c.isOpen()) {
            synchronized (TraceEmitter.class) {
                c = channel;
                if (c == null || !c.isOpen()) {
                    c = DatagramChannel.open();
                    channel = c;
                }
            }
        }
        return c;
    }
}
