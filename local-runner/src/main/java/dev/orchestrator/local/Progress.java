package dev.orchestrator.local;

import java.io.PrintStream;

/** Timestamped lines on the console, relative to the start of the command. */
final class Progress {

    private final PrintStream out;
    private final long t0 = System.currentTimeMillis();

    Progress(PrintStream out) {
        this.out = out;
    }

    void step(String message) {
        out.printf("%6.1fs  %s%n", (System.currentTimeMillis() - t0) / 1000.0, message);
        out.flush();
    }

    void bar(int percent, String label) {
        int filled = percent / 5;
        step("[" + "#".repeat(filled) + ".".repeat(20 - filled) + "] " + percent + "%  " + label);
    }

    void raw(String text) {
        out.println(text);
        out.flush();
    }

    long elapsedMillis() {
        return System.currentTimeMillis() - t0;
    }
}
