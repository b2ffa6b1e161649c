package dev.orchestrator.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code scripts/local up|run} deploys for a user's own project: the activities, the plugin
 * templates (with parameter overrides) and the events to send. From the command line, from a config
 * file the user keeps in their repository ({@value #CONFIG_FILE}), or both (the command line adds to
 * the file's plugins and starts, and its activities win). Parsing is pure; paths resolve against the
 * file's folder or the caller's working directory.
 */
record LocalSettings(List<String> activities, List<PluginRef> plugins, List<Path> starts, int registerTimeout,
                     boolean ownProject, Map<String, String> parameters) {

    LocalSettings {
        parameters = Map.copyOf(parameters);
    }

    static final String CONFIG_FILE = "orchestrator-local.json";
    static final List<String> DEMO_ACTIVITIES = List.of("Setup", "Configure", "Handover");
    /**
     * The local stack's DefaultRegisterTimeout (seconds): the stack's own default, 0 (registered plugins are
     * expected without a window; only unregistered subscribers need one). At most the template's MaxValue.
     */
    static final int DEFAULT_REGISTER_TIMEOUT = 0;
    static final int MAX_REGISTER_TIMEOUT = 86_400;

    /** A plugin stack: its template and the parameters given to it beyond OrchestratorStackName. */
    record PluginRef(Path template, Map<String, String> parameters) {
        PluginRef {
            parameters = Map.copyOf(parameters);
        }
    }

    static final String USAGE = """
            usage: scripts/local [demo]
                   scripts/local up|run [--config FILE] [--activities A,B,C] [--plugin TEMPLATE[,Param=Value...]]...
                                        [--start EVENT.json]... [--register-timeout SECONDS] [--parameter Key=Value]...
              --parameter  a parameter of the orchestrator stack itself (template.yaml), e.g. TenantEventSources=my.source
              up    deploy and keep running (commands: send FILE | tree UID WORKFLOW | quit)
              run   deploy, send the --start events, follow each run to its end; exit 0 when all ended well
            Without --activities/--plugin/--config, ./%s is read if present, else the demo's stack is deployed.
            """.formatted(CONFIG_FILE);

    /** @param cwd where the user typed the command: relative paths on the command line resolve here */
    static LocalSettings parse(List<String> args, Path cwd) {
        Path config = null;
        List<String> activities = null;
        List<PluginRef> plugins = new ArrayList<>();
        List<Path> starts = new ArrayList<>();
        Integer registerTimeout = null;
        Map<String, String> parameters = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
            }
            String value = args.get(++i);
            switch (flag) {
                case "--config" -> config = cwd.resolve(value).normalize();
                case "--activities" -> activities = activities(List.of(value.split(",")), "--activities");
                case "--plugin" -> plugins.add(pluginRef(value, cwd));
                case "--start" -> starts.add(cwd.resolve(value).normalize());
                case "--register-timeout" -> registerTimeout = seconds(value, "--register-timeout");
                case "--parameter" -> {
                    int eq = value.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("--parameter " + value + ": not Key=Value");
                    }
                    parameters.put(value.substring(0, eq), value.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
            }
        }
        if (config == null && activities == null && plugins.isEmpty() && Files.isRegularFile(cwd.resolve(CONFIG_FILE))) {
            config = cwd.resolve(CONFIG_FILE);
        }
        if (config != null) {
            LocalSettings file = fromFile(config);
            List<PluginRef> allPlugins = new ArrayList<>(file.plugins());
            allPlugins.addAll(plugins);
            List<Path> allStarts = new ArrayList<>(file.starts());
            allStarts.addAll(starts);
            Map<String, String> allParameters = new LinkedHashMap<>(file.parameters());
            allParameters.putAll(parameters);
            return new LocalSettings(activities != null ? activities : file.activities(), allPlugins, allStarts,
                    registerTimeout != null ? registerTimeout : file.registerTimeout(), true, allParameters);
        }
        boolean own = activities != null || !plugins.isEmpty();
        if (own && activities == null) {
            throw new IllegalArgumentException("--plugin needs --activities (the activities your plugins join)");
        }
        for (Path s : starts) {
            requireFile(s, "--start");
        }
        return new LocalSettings(own ? activities : DEMO_ACTIVITIES, plugins, starts,
                registerTimeout != null ? registerTimeout : DEFAULT_REGISTER_TIMEOUT, own, parameters);
    }

    /**
     * The config file: {@code {"activities": ["A","B"], "plugins": ["path/template.yaml" | {"template": ...,
     * "parameters": {"Activity": "B"}}], "start": ["events/x.json"], "registerTimeout": 2,
     * "parameters": {"TenantEventSources": "my.source"}}} (the last: the orchestrator stack's own parameters).
     */
    static LocalSettings fromFile(Path file) {
        JsonNode o;
        try {
            o = Json.parse(Files.readString(file));
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        List<String> problems = new ArrayList<>();
        for (var it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!List.of("activities", "plugins", "start", "registerTimeout", "parameters").contains(f)) {
                problems.add("unknown key '" + f + "' (known: activities, plugins, start, registerTimeout, parameters)");
            }
        }
        List<String> activities = new ArrayList<>();
        if (!o.path("activities").isArray() || o.path("activities").isEmpty()) {
            problems.add("'activities' must be a non-empty list of names");
        } else {
            o.get("activities").forEach(a -> activities.add(a.asText()));
        }
        List<PluginRef> plugins = new ArrayList<>();
        o.path("plugins").forEach(p -> {
            if (p.isTextual()) {
                plugins.add(new PluginRef(dir.resolve(p.asText()).normalize(), Map.of()));
            } else if (p.path("template").isTextual()) {
                Map<String, String> params = new LinkedHashMap<>();
                p.path("parameters").fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
                plugins.add(new PluginRef(dir.resolve(p.get("template").asText()).normalize(), params));
            } else {
                problems.add("each of 'plugins' is a template path or {\"template\": PATH, \"parameters\": {...}}, not " + p);
            }
        });
        List<Path> starts = new ArrayList<>();
        o.path("start").forEach(s -> starts.add(dir.resolve(s.asText()).normalize()));
        int registerTimeout = DEFAULT_REGISTER_TIMEOUT;
        if (o.has("registerTimeout")) {
            JsonNode rt = o.get("registerTimeout");
            if (!rt.isIntegralNumber() || !rt.canConvertToInt() || rt.asInt() < 0 || rt.asInt() > MAX_REGISTER_TIMEOUT) {
                problems.add("'registerTimeout' must be a whole number of seconds from 0 to " + MAX_REGISTER_TIMEOUT + ", not " + rt);
            } else {
                registerTimeout = o.get("registerTimeout").asInt();
            }
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        if (o.has("parameters")) {
            if (!o.get("parameters").isObject()) {
                problems.add("'parameters' must be an object of the orchestrator stack's parameters, e.g. {\"TenantEventSources\": \"my.source\"}");
            } else {
                o.get("parameters").fields().forEachRemaining(e -> parameters.put(e.getKey(), e.getValue().asText()));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + ": " + String.join("; ", problems));
        }
        plugins.forEach(p -> requireFile(p.template(), file + " plugins"));
        starts.forEach(s -> requireFile(s, file + " start"));
        return new LocalSettings(activities(activities, file + " activities"), plugins, starts, registerTimeout, true, parameters);
    }

    static PluginRef pluginRef(String value, Path cwd) {
        String[] parts = value.split(",");
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("--plugin " + value + ": '" + parts[i] + "' is not Param=Value");
            }
            params.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
        }
        Path template = cwd.resolve(parts[0]).normalize();
        if (Files.isDirectory(template)) {
            template = template.resolve("template.yaml");
        }
        requireFile(template, "--plugin");
        return new PluginRef(template, params);
    }

    private static List<String> activities(List<String> names, String where) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            String name = n.trim();
            if (!name.matches("[A-Za-z0-9]+")) {
                throw new IllegalArgumentException(where + ": activity '" + name + "' must be letters and digits");
            }
            out.add(name);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(where + ": no activities");
        }
        return List.copyOf(out);
    }

    private static int seconds(String value, String flag) {
        try {
            int v = Integer.parseInt(value);
            if (v >= 0 && v <= MAX_REGISTER_TIMEOUT) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " must be a whole number of seconds from 0 to " + MAX_REGISTER_TIMEOUT + ", not '" + value + "'");
    }

    private static void requireFile(Path p, String where) {
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(where + ": no file " + p);
        }
    }
}
