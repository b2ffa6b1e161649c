package dev.orchestrator.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Names;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A request to start (or resume) a run, validated. Accepted as the direct-invoke payload or as the
 * {@code detail} of an EventBridge event. Everything the engine will need later is checked here (names,
 * sizes, the activity graph, the metadata sent as SNS attributes), so a run that starts can always be
 * carried out; every problem is reported, each naming its field.
 * <p>{@code activities} is a list of names (each depends on the one before it) or of objects
 * {@code {"name": "B", "dependsOn": ["A"]}} (a DAG; an object without dependsOn depends on nothing).
 */
public record StartRequest(String uid,
                           String workflow,
                           ObjectNode metadata,
                           List<String> activities,
                           Map<String, List<String>> dependsOn,
                           Integer pluginRegisterTimeout,
                           Integer pluginTimeout,
                           Integer startTimeout,
                           List<String> filterAttributes,
                           boolean metadataOverride,
                           Map<String, dev.orchestrator.core.MapSpec> maps,
                           ObjectNode inputs) {

    public static final int MAX_REGISTER_TIMEOUT = 86_400;
    /** Longest execution or start timeout a run may ask for: 7 days. */
    public static final int MAX_TIMEOUT = 7 * 86_400;

    public StartRequest {
        activities = List.copyOf(activities);
        maps = maps == null ? Map.of() : Map.copyOf(maps);
        inputs = inputs == null || inputs.isEmpty() ? null : inputs;
    }

    /**
     * At most this many bytes of JSON in {@code inputs}: the engine's budget for one stage message's inputs
     * ({@link dev.orchestrator.core.Outputs#ENGINE_INLINE_BUDGET_BYTES}); it also keeps a start event under
     * EventBridge's 256 KB and the item that holds them under DynamoDB's 400 KB.
     */
    public static final int MAX_INPUTS_BYTES = dev.orchestrator.core.Outputs.ENGINE_INLINE_BUDGET_BYTES;

    /**
     * The digest naming the item the start inputs are kept in (null without inputs): the same inputs, the same item,
     * so a start delivered twice writes one.
     */
    public String startInputsDigest() {
        if (inputs == null) {
            return null;
        }
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Json.write(inputs).getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The limits the stack applies: deployed activities and the default attribute list. */
    public record Limits(Set<String> deployed, List<String> defaultFilterAttributes) {
        public static Limits any() {
            return new Limits(Set.of(), List.of());
        }

        /**
         * The stack's limits from the comma-separated values of {@code ACTIVITIES} and
         * {@code DEFAULT_FILTER_ATTRIBUTES} (each function reads its own variables, so the template contract
         * test sees which ones it uses).
         */
        public static Limits parse(String activities, String defaultFilterAttributes) {
            return new Limits(new LinkedHashSet<>(list(activities)), list(defaultFilterAttributes));
        }

        private static List<String> list(String csv) {
            return java.util.Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        }
    }

    /** The run this request creates: every activity Not Started, {@code parent} set for a child run. */
    public dev.orchestrator.core.WorkflowRun newRun(dev.orchestrator.core.WorkflowRun.Parent parent) {
        Map<String, dev.orchestrator.core.ActivityStatus> status = new LinkedHashMap<>();
        activities.forEach(a -> {
            var fresh = dev.orchestrator.core.ActivityStatus.notStarted();
            var map = maps.get(a);
            status.put(a, map == null ? fresh : fresh.withStage(dev.orchestrator.core.Stage.PARALLEL,
                    fresh.async().withMap(dev.orchestrator.core.MapState.of(map))));
        });
        return new dev.orchestrator.core.WorkflowRun(uid, workflow, dev.orchestrator.core.State.NOT_STARTED, metadata,
                activities, status, pluginRegisterTimeout, 1, null, dependsOn, pluginTimeout, startTimeout,
                filterAttributes, null, null, null, null, null, parent, startInputsDigest());
    }

    public static StartRequest parse(JsonNode input, Set<String> deployed) {
        return parse(input, new Limits(deployed, List.of()));
    }

    public static StartRequest parse(JsonNode input, Limits limits) {
        if (input == null || !input.isObject()) {
            throw new InvalidStartException(List.of("the request must be a JSON object"));
        }
        JsonNode body = input.has("detail-type") && input.has("detail") ? input.get("detail") : input;
        if (!body.isObject()) {
            throw new InvalidStartException(List.of("detail must be a JSON object"));
        }
        List<String> errors = new ArrayList<>();
        String uid = requiredText(body, "uid", errors);
        String workflow = requiredText(body, "workflow", errors);

        ObjectNode metadata = Json.object();
        JsonNode meta = body.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (meta.isObject()) {
                metadata = (ObjectNode) meta;
                int bytes = Json.write(metadata).getBytes(StandardCharsets.UTF_8).length;
                if (bytes > Names.MAX_METADATA_BYTES) {
                    errors.add("metadata is " + bytes + " bytes; at most " + Names.MAX_METADATA_BYTES
                            + " fit in every stage message and outcome event (keep large data in S3 and put its key in metadata)");
                }
            } else {
                errors.add("metadata must be a JSON object");
            }
        }

        List<String> activities = new ArrayList<>();
        Map<String, dev.orchestrator.core.MapSpec> maps = new LinkedHashMap<>();
        Map<String, String> mapFields = new LinkedHashMap<>();
        Map<String, List<String>> dependsOn = parseActivities(body.get("activities"), limits.deployed(), activities, errors,
                maps, mapFields);
        checkMaps(maps, mapFields, metadata, activities, dependsOn, errors);

        Integer window = seconds(body, "pluginRegisterTimeout", 0, MAX_REGISTER_TIMEOUT, errors);
        Integer pluginTimeout = seconds(body, "pluginTimeout", 1, MAX_TIMEOUT, errors);
        Integer startTimeout = seconds(body, "startTimeout", 1, MAX_TIMEOUT, errors);

        List<String> filter = null;
        JsonNode f = body.get("filterAttributes");
        if (f != null && !f.isNull()) {
            if (!f.isArray()) {
                errors.add("filterAttributes must be a list of metadata keys");
            } else {
                filter = new ArrayList<>();
                for (int i = 0; i < f.size(); i++) {
                    if (!f.get(i).isTextual()) {
                        errors.add("filterAttributes[" + i + "] must be a metadata key (a string)");
                    } else {
                        filter.add(f.get(i).asText());
                    }
                }
            }
        }
        List<String> effective = filter != null ? filter : limits.defaultFilterAttributes();
        checkAttributes(effective, filter != null, metadata, errors);

        boolean override = false;
        JsonNode o = body.get("metadataOverride");
        if (o != null && !o.isNull()) {
            if (!o.isBoolean()) {
                errors.add("metadataOverride must be true or false");
            } else {
                override = o.booleanValue();
            }
        }
        ObjectNode inputs = startInputs(body.get("inputs"), activities, errors);
        if (!errors.isEmpty()) {
            throw new InvalidStartException(errors);
        }
        return new StartRequest(uid, workflow, metadata, activities, dependsOn, window, pluginTimeout, startTimeout,
                filter, override, maps, inputs);
    }

    /**
     * The run's start inputs: {@code {"<source>": {"<name>": {...}}}}, each value a JSON object, which every stage
     * message of the run carries as {@code inputs[source][name]} beside its upstream outputs (the tenant router puts
     * a provisioning build's variables here). A source may not be an activity of the run: its plugins' outputs have
     * that address.
     */
    private static ObjectNode startInputs(JsonNode node, List<String> activities, List<String> errors) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            errors.add("inputs must be a JSON object: {\"<source>\": {\"<name>\": {...}}}");
            return null;
        }
        int before = errors.size();
        node.fields().forEachRemaining(source -> {
            String field = "inputs." + source.getKey();
            if (source.getKey().isBlank() || source.getKey().length() > 64) {
                errors.add("inputs: a source name must be 1-64 characters, got \"" + shorten(source.getKey()) + "\"");
            } else if (activities.contains(source.getKey())) {
                errors.add(field + " names an activity of this run; its plugins' outputs use that address (choose another source name)");
            }
            if (!source.getValue().isObject() || source.getValue().isEmpty()) {
                errors.add(field + " must be a non-empty JSON object of named inputs, each a JSON object");
                return;
            }
            source.getValue().fields().forEachRemaining(input -> {
                if (input.getKey().isBlank() || input.getKey().length() > Names.MAX_PLUGIN_NAME) {
                    errors.add(field + ": an input name must be 1-" + Names.MAX_PLUGIN_NAME + " characters");
                } else if (!input.getValue().isObject()) {
                    errors.add(field + "." + input.getKey() + " must be a JSON object, got " + input.getValue().getNodeType().name().toLowerCase());
                }
            });
        });
        int bytes = Json.write(node).getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_INPUTS_BYTES) {
            errors.add("inputs is " + bytes + " bytes of JSON; a run's start inputs may be at most " + MAX_INPUTS_BYTES
                    + " (they ride in every stage message; put large data in S3 and its key in an input)");
        }
        return errors.size() == before ? (ObjectNode) node : null;
    }

    /** Fills {@code names}; returns the dependsOn map for a DAG, or null for a plain list. */
    private static Map<String, List<String>> parseActivities(JsonNode acts, Set<String> deployed, List<String> names,
                                                             List<String> errors,
                                                             Map<String, dev.orchestrator.core.MapSpec> maps,
                                                             Map<String, String> mapFields) {
        if (acts == null || acts.isNull()) {
            errors.add("activities is required: a non-empty list of activity names or {name, dependsOn} objects");
            return null;
        }
        if (!acts.isArray() || acts.isEmpty()) {
            errors.add("activities must be a non-empty list of activity names or {name, dependsOn} objects");
            return null;
        }
        boolean graph = false;
        Map<String, List<String>> dependsOn = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < acts.size(); i++) {
            JsonNode a = acts.get(i);
            String field = "activities[" + i + "]";
            JsonNode nameNode = a.isObject() ? a.get("name") : a;
            if (a.isObject()) {
                graph = true;
            }
            if (nameNode == null || !nameNode.isTextual() || !Names.ACTIVITY_NAME.matcher(nameNode.asText()).matches()) {
                errors.add(field + (a.isObject() ? ".name" : "") + " must be a name of 1-64 letters and digits, got "
                        + shorten(String.valueOf(nameNode)));
                continue;
            }
            String name = nameNode.asText();
            if (!seen.add(name)) {
                errors.add(field + " repeats '" + name + "'");
                continue;
            }
            if (!deployed.isEmpty() && !deployed.contains(name)) {
                errors.add(field + " '" + name + "' is not deployed in this stack (deployed: " + String.join(", ", deployed) + ")");
            }
            List<String> deps = new ArrayList<>();
            if (a.isObject() && a.has("dependsOn") && !a.get("dependsOn").isNull()) {
                JsonNode d = a.get("dependsOn");
                if (!d.isArray()) {
                    errors.add(field + ".dependsOn must be a list of activity names");
                } else {
                    for (int j = 0; j < d.size(); j++) {
                        if (!d.get(j).isTextual()) {
                            errors.add(field + ".dependsOn[" + j + "] must be an activity name");
                        } else if (!deps.contains(d.get(j).asText())) {
                            deps.add(d.get(j).asText());
                        }
                    }
                }
            }
            dependsOn.put(name, deps);
            if (a.isObject() && a.has("map") && !a.get("map").isNull()) {
                dev.orchestrator.core.MapSpec spec = dev.orchestrator.core.MapSpec.parse(a.get("map"), field + ".map", errors);
                if (spec != null) {
                    maps.put(name, spec);
                    mapFields.put(name, field + ".map.items");
                }
            }
        }
        names.addAll(seen);
        if (!graph) {
            return null;
        }
        errors.addAll(ActivityGraph.problems(names, dependsOn));
        return dependsOn;
    }

    /**
     * A map over the metadata is resolved now (the list must exist, be a list and have at most 10,000 elements); a map
     * over an upstream output must name an activity this one depends on directly (its outputs are this activity's
     * inputs), and is resolved when its stage starts.
     */
    private static void checkMaps(Map<String, dev.orchestrator.core.MapSpec> maps, Map<String, String> fields,
                                  ObjectNode metadata, List<String> names, Map<String, List<String>> dependsOn,
                                  List<String> errors) {
        maps.forEach((activity, spec) -> {
            String field = fields.get(activity);
            if (spec.fromS3()) {
                return; // read when its stage starts, where the engine knows which buckets it may read
            }
            if (!spec.fromInputs()) {
                var r = dev.orchestrator.core.MapSpec.resolve(metadata, spec.segments(), field, spec.items());
                if (r.problem() != null) {
                    errors.add(r.problem());
                }
                return;
            }
            String upstream = spec.inputActivity();
            List<String> deps;
            if (dependsOn != null) {
                deps = dependsOn.getOrDefault(activity, List.of());
            } else {
                int i = names.indexOf(activity);
                deps = i <= 0 ? List.of() : List.of(names.get(i - 1));
            }
            if (!deps.contains(upstream)) {
                errors.add(field + " \"" + spec.items() + "\" reads an output of " + upstream + ", which " + activity
                        + " does not depend on directly (its dependencies: " + (deps.isEmpty() ? "none" : String.join(", ", deps)) + ")");
            }
            if (!Names.validPluginName(spec.inputPlugin())) {
                errors.add(field + " \"" + spec.items() + "\" names plugin '" + Names.shorten(spec.inputPlugin())
                        + "', which is not a valid plugin name");
            }
        });
    }

    /**
     * Metadata fields sent as SNS message attributes must fit SNS: valid names, at most 6 beside our 4,
     * non-empty scalar values. A listed key the metadata lacks is simply not sent.
     */
    private static void checkAttributes(List<String> keys, boolean fromRequest, ObjectNode metadata, List<String> errors) {
        String field = fromRequest ? "filterAttributes" : "metadata (the stack's DefaultFilterAttributes)";
        int room = Names.MAX_ATTRIBUTES - Names.RESERVED_ATTRIBUTES;
        if (fromRequest && keys.size() > room) {
            errors.add("filterAttributes names " + keys.size() + " keys; SNS carries at most " + room
                    + " beside workflow, activity, stage and plugin");
        }
        for (String k : keys) {
            if (List.of("workflow", "activity", "stage", "plugin").contains(k)) {
                errors.add(field + " key '" + k + "' is reserved for the orchestrator's own attribute");
                continue;
            }
            if (!Names.validAttributeName(k)) {
                errors.add(field + " key '" + shorten(k) + "' is not a valid SNS attribute name (letters, digits, '_', '-', '.'; no leading, trailing or double '.'; not AWS. or Amazon.)");
                continue;
            }
            JsonNode v = metadata.get(k);
            if (v == null || v.isNull()) {
                continue;
            }
            if (!v.isValueNode()) {
                errors.add("metadata." + k + " is sent as an SNS message attribute and must be a string, number or boolean");
            } else if (v.asText().isEmpty()) {
                errors.add("metadata." + k + " is sent as an SNS message attribute and must not be empty");
            } else if (v.asText().length() > Names.MAX_ATTRIBUTE_VALUE) {
                errors.add("metadata." + k + " is sent as an SNS message attribute and must be at most "
                        + Names.MAX_ATTRIBUTE_VALUE + " characters");
            }
        }
    }

    private static Integer seconds(JsonNode body, String field, int min, int max, List<String> errors) {
        JsonNode t = body.get(field);
        if (t == null || t.isNull()) {
            return null;
        }
        if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < min || t.asInt() > max) {
            errors.add(field + " must be a whole number of seconds between " + min + " and " + max);
            return null;
        }
        return t.asInt();
    }

    private static String requiredText(JsonNode body, String field, List<String> errors) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            errors.add(field + " is required");
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            errors.add(field + " must be a non-empty string");
            return null;
        }
        if (v.asText().length() > Names.MAX_KEY) {
            errors.add(field + " must be at most " + Names.MAX_KEY + " characters");
            return null;
        }
        String problem = dev.orchestrator.core.Keys.keyProblem(field, v.asText());
        if (problem != null && ("uid".equals(field) || "workflow".equals(field))) {
            errors.add(problem);
            return null;
        }
        return v.asText();
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...(" + s.length() + " chars)";
    }
}
