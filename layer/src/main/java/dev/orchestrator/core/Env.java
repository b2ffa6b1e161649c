package dev.orchestrator.core;

import java.util.Map;

/** A function's environment, passed in explicitly so handlers can run in-process with another one. */
public record Env(Map<String, String> values) {

    public Env {
        values = Map.copyOf(values);
    }

    public static Env system() {
        return new Env(System.getenv());
    }

    public String require(String name) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return v;
    }

    public String get(String name, String fallback) {
        String v = values.get(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    public int getInt(String name, int fallback) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("environment variable " + name + " must be an integer, got '" + v + "'");
        }
    }
}
