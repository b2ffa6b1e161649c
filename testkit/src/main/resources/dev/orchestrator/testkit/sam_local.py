"""Turns a SAM template into a CloudFormation template an emulator (moto) can create, rewired so
that Lambda handlers run in-process: prints {"template": ..., "functions": {...}} as JSON.

Steps: expand Fn::ForEach (AWS::LanguageExtensions), point code at a dummy S3 zip, translate with
the SAM translator, then replace Lambda event sources with things a test process can read:
SNS and EventBridge targets become SQS delivery queues; SQS and DynamoDB stream sources are polled
directly. Usage: sam_local.py TEMPLATE PARAMS_JSON CODE_BUCKET CODE_KEY
"""
import copy
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402


IMPORTS_OUTPUT = "TestkitImportedExports"


class PolicyLoader:
    """Managed policy names -> ARNs without calling IAM."""

    def load(self):
        return {}


def substitute(node, ident, value):
    if isinstance(node, dict):
        if set(node.keys()) == {"Ref"} and node["Ref"] == ident:
            return value
        out = {}
        for k, v in node.items():
            nk = k.replace("${" + ident + "}", value).replace("&{" + ident + "}", value)
            out[nk] = substitute(v, ident, value)
        if set(out.keys()) == {"Fn::Sub"} and isinstance(out["Fn::Sub"], str):
            out["Fn::Sub"] = out["Fn::Sub"].replace("${" + ident + "}", value)
        return out
    if isinstance(node, list):
        return [substitute(v, ident, value) for v in node]
    if isinstance(node, str):
        return node.replace("${" + ident + "}", value).replace("&{" + ident + "}", value)
    return node


def parameter(name, params, declared, missing):
    """A template parameter's value (given, else its Default), as CloudFormation resolves a Ref to it."""
    raw = params.get(name, declared.get(name, {}).get("Default"))
    if raw is None:
        raise SystemExit(missing % name)
    return raw


def scalar(node, params, declared, default):
    """An event property that may be a Ref to a template parameter, resolved as CloudFormation would."""
    if node is None:
        return default
    if isinstance(node, dict) and "Ref" in node:
        return int(float(parameter(node["Ref"], params, declared, "parameter %s has no value")))
    return node


def collection(spec, params, declared):
    if isinstance(spec, list):
        return spec
    if isinstance(spec, dict) and "Ref" in spec:
        raw = parameter(spec["Ref"], params, declared, "Fn::ForEach over parameter %s, which has no value")
        return raw if isinstance(raw, list) else [s.strip() for s in str(raw).split(",") if s.strip()]
    raise SystemExit("unsupported Fn::ForEach collection: %r" % (spec,))


def expand_foreach(section, params, declared):
    out = {}
    for key, value in section.items():
        if key.startswith("Fn::ForEach::"):
            ident, coll, fragment = value
            for item in collection(coll, params, declared):
                expanded = expand_foreach(substitute(copy.deepcopy(fragment), ident, item), params, declared)
                out.update(expanded)
        else:
            out[key] = value
    return out


def simplify_refs(node):
    """After expansion, {"Ref": {"Fn::Sub": "X"}} with a plain string becomes {"Ref": "X"}."""
    if isinstance(node, dict):
        node = {k: simplify_refs(v) for k, v in node.items()}
        ref = node.get("Ref")
        if len(node) == 1 and isinstance(ref, dict) and isinstance(ref.get("Fn::Sub"), str) and "${" not in ref["Fn::Sub"]:
            return {"Ref": ref["Fn::Sub"]}
        return node
    if isinstance(node, list):
        return [simplify_refs(v) for v in node]
    return node


def logical_of(expr):
    """Logical id behind {"Ref": X} or {"Fn::GetAtt": [X, ...]} / "X.Attr"."""
    if isinstance(expr, dict):
        if "Ref" in expr:
            return expr["Ref"]
        att = expr.get("Fn::GetAtt")
        if isinstance(att, list):
            return att[0]
        if isinstance(att, str):
            return att.split(".")[0]
    return None


def import_names(node, out):
    """Every distinct Fn::ImportValue argument (an expression CloudFormation resolves to an export name)."""
    if isinstance(node, dict):
        if set(node.keys()) == {"Fn::ImportValue"}:
            if node["Fn::ImportValue"] not in out:
                out.append(node["Fn::ImportValue"])
            return
        for v in node.values():
            import_names(v, out)
    elif isinstance(node, list):
        for v in node:
            import_names(v, out)


INTRINSICS = ("Ref", "Fn::Sub", "Fn::ImportValue", "Fn::GetAtt", "Fn::Join", "Fn::If", "Fn::Select", "Fn::Split",
              "Fn::FindInMap", "Fn::Base64", "Fn::GetAZs")


def is_intrinsic(node):
    return isinstance(node, dict) and len(node) == 1 and next(iter(node)) in INTRINSICS


def returns_list(expr, declared):
    """Whether CloudFormation resolves this expression to a list (a list parameter, Fn::Split, Fn::GetAZs)."""
    key, arg = next(iter(expr.items()))
    if key == "Ref" and isinstance(arg, str):
        t = str(declared.get(arg, {}).get("Type", ""))
        return t == "CommaDelimitedList" or t.startswith("List<") or t.startswith("AWS::SSM::Parameter::Value<List<")
    return key in ("Fn::Split", "Fn::GetAZs")


def outputs_for_intrinsics(node, prefix, outputs, declared, counter):
    """Replaces every intrinsic function in a subscription attribute (e.g. a FilterPolicy) with a marker
    {"TestkitOutput": NAME, "list": bool} and adds an output NAME whose value is that expression, so that
    CloudFormation resolves it exactly as it resolves the attribute on AWS (parameters, pseudo parameters,
    imports of other stacks' exports, conditions). The deployer puts the resolved values back."""
    if is_intrinsic(node):
        name = "%s%d" % (prefix, counter[0])
        counter[0] += 1
        as_list = returns_list(node, declared)
        outputs[name] = {"Value": {"Fn::Join": [",", node]} if as_list else node}
        return {"TestkitOutput": name, "list": as_list}
    if isinstance(node, dict):
        return {k: outputs_for_intrinsics(v, prefix, outputs, declared, counter) for k, v in node.items()}
    if isinstance(node, list):
        return [outputs_for_intrinsics(v, prefix, outputs, declared, counter) for v in node]
    return node


def bus_refs_to_names(node, buses):
    """moto returns an object for Ref of an EventBus; GetAtt Name is the same value on AWS."""
    if isinstance(node, dict):
        if set(node.keys()) == {"Ref"} and node["Ref"] in buses:
            return {"Fn::GetAtt": [node["Ref"], "Name"]}
        return {k: bus_refs_to_names(v, buses) for k, v in node.items()}
    if isinstance(node, list):
        return [bus_refs_to_names(v, buses) for v in node]
    return node


def main():
    template_path, params_json, bucket, key = sys.argv[1:5]
    params = json.loads(params_json)
    with open(template_path) as f:
        sam = yaml_parse(f.read())
    declared = sam.get("Parameters", {})
    for section in ("Resources", "Outputs", "Conditions"):
        if section in sam:
            sam[section] = simplify_refs(expand_foreach(sam[section], params, declared))
    transforms = sam.get("Transform")
    if isinstance(transforms, list):
        sam["Transform"] = [t for t in transforms if t != "AWS::LanguageExtensions"]
        if len(sam["Transform"]) == 1:
            sam["Transform"] = sam["Transform"][0]

    functions = {}
    for lid, res in sam["Resources"].items():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::Serverless::Function":
            glob = sam.get("Globals", {}).get("Function", {})
            # Runtime and code folder let the runner start non-Java handlers as subprocesses.
            code = props.get("CodeUri", glob.get("CodeUri", "."))
            code_dir = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(template_path)), code)) \
                if isinstance(code, str) and not code.startswith("s3://") else None
            props["CodeUri"] = "s3://%s/%s" % (bucket, key)
            functions[lid] = {"handler": props.get("Handler") or glob.get("Handler"),
                              "runtime": props.get("Runtime") or glob.get("Runtime"),
                              "codeDir": code_dir,
                              "events": copy.deepcopy(props.get("Events", {}))}
        elif res.get("Type") == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://%s/%s" % (bucket, key)

    cfn = transform(sam, params, PolicyLoader())
    resources = cfn["Resources"]
    buses = {lid for lid, r in resources.items() if r["Type"] == "AWS::Events::EventBus"}
    cfn = bus_refs_to_names(cfn, buses)
    resources = cfn["Resources"]
    imported = []  # before the rewiring below drops layers and subscriptions
    import_names(resources, imported)
    import_names(cfn.get("Outputs", {}), imported)

    # Lambda's asynchronous invocation settings (EventInvokeConfig, DeadLetterConfig) are applied by
    # the in-process runtime; moto's CloudFormation knows neither. Values go out as outputs so that
    # CloudFormation resolves them (parameters, queue ARNs) exactly as it would for AWS.
    async_config = {}
    for lid, r in list(resources.items()):
        if r["Type"] == "AWS::Lambda::EventInvokeConfig":
            fid = logical_of(r["Properties"].get("FunctionName"))
            props = r["Properties"]
            entry = async_config.setdefault(fid, {})
            outputs = cfn.setdefault("Outputs", {})
            for prop, name in (("MaximumRetryAttempts", "Retries"), ("MaximumEventAgeInSeconds", "MaxAge")):
                if prop in props:
                    value = props[prop]
                    outputs[fid + "Async" + name] = {"Value": str(value) if isinstance(value, (int, float)) else value}
                    entry[name[0].lower() + name[1:] + "Output"] = fid + "Async" + name
            for kind in ("OnFailure", "OnSuccess"):
                dest = props.get("DestinationConfig", {}).get(kind, {}).get("Destination")
                if dest is not None:
                    outputs[fid + "Async" + kind] = {"Value": dest}
                    entry[kind[0].lower() + kind[1:] + "Output"] = fid + "Async" + kind
            del resources[lid]
        elif r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("DeadLetterConfig", {}).get("TargetArn"):
            cfn.setdefault("Outputs", {})[lid + "AsyncDlq"] = {"Value": r["Properties"]["DeadLetterConfig"]["TargetArn"]}
            async_config.setdefault(lid, {})["dlqOutput"] = lid + "AsyncDlq"

    for lid, r in list(resources.items()):
        t = r["Type"]
        if t == "AWS::Lambda::Function":
            # Handlers run in-process with the layer on the classpath.
            r["Properties"].pop("Layers", None)
            r["Properties"].pop("DeadLetterConfig", None)
        if t in ("AWS::Lambda::EventSourceMapping", "AWS::Lambda::Permission"):
            del resources[lid]
        elif t == "AWS::SNS::Subscription" and r["Properties"].get("Protocol") == "lambda":
            del resources[lid]

    manifest = {}
    for fid, spec in functions.items():
        sources = []
        for ev_name, ev in spec["events"].items():
            etype, p = ev.get("Type"), ev.get("Properties", {})
            if etype == "SNS":
                queue = fid + ev_name + "Delivery"
                resources[queue] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}}
                # moto's CloudFormation does not create AWS::SNS::Subscription resources: the topic
                # goes out as an output and the deployer subscribes the queue through the SNS API.
                cfn.setdefault("Outputs", {})[queue + "Topic"] = {"Value": bus_refs_to_names(p["Topic"], buses)}
                outputs = cfn.setdefault("Outputs", {})
                counter = [0]
                sources.append({"type": "sns", "queue": queue, "topicOutput": queue + "Topic", "event": ev_name,
                                "filterPolicy": outputs_for_intrinsics(p.get("FilterPolicy"), queue + "Filter", outputs,
                                                                       declared, counter),
                                "filterPolicyScope": outputs_for_intrinsics(p.get("FilterPolicyScope"), queue + "Filter",
                                                                            outputs, declared, counter)})
            elif etype == "SQS":
                sources.append({"type": "sqs", "queue": logical_of(p["Queue"]),
                                "batchSize": p.get("BatchSize", 10),
                                "reportBatchItemFailures": "ReportBatchItemFailures" in p.get("FunctionResponseTypes", [])})
            elif etype in ("DynamoDB", "Kinesis"):
                sources.append({"type": "dynamodb", "table": logical_of(p["Stream"]), "batchSize": p.get("BatchSize", 100),
                                "batchingWindowSeconds": scalar(p.get("MaximumBatchingWindowInSeconds"), params, declared, 0)})
            elif etype in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
                rule = resources.get(fid + ev_name)
                queue = fid + ev_name + "Delivery"
                resources[queue] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}}
                entry = {"type": "schedule" if etype.startswith("Schedule") else "eventbridge", "queue": queue, "rule": fid + ev_name}
                if rule is not None:
                    for target in rule["Properties"].get("Targets", []):
                        if logical_of(target.get("Arn")) == fid:
                            target["Arn"] = {"Fn::GetAtt": [queue, "Arn"]}
                            dlq = target.get("DeadLetterConfig", {}).get("Arn")
                            if dlq is not None:
                                entry["dlq"] = logical_of(dlq)
                            entry["maximumRetryAttempts"] = target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 185)
                sources.append(entry)
        manifest[fid] = {"handler": spec["handler"], "runtime": spec["runtime"], "codeDir": spec["codeDir"],
                         "sources": sources, "async": async_config.get(fid, {})}

    # moto does not record which stack imports which export; CloudFormation refuses to change or delete
    # an export in use. The names this stack imports go out as one output (resolved by CloudFormation),
    # which the deployer reads from every stack before it updates or deletes one.
    if imported:
        cfn.setdefault("Outputs", {})[IMPORTS_OUTPUT] = {"Value": {"Fn::Join": [",", imported]}}

    # moto looks up the Default of an SSM-typed parameter even when a value is passed (AWS reads only
    # the key in use): a passed key replaces the default, so a missing default key does not fail.
    for name, p in cfn.get("Parameters", {}).items():
        if str(p.get("Type", "")).startswith("AWS::SSM::Parameter::") and name in params:
            p["Default"] = params[name]

    # moto resolves Ref of a CommaDelimitedList left at its default to a string (Fn::Join then splits
    # it into characters); passing such defaults explicitly gives the list AWS would.
    list_defaults = {name: str(p["Default"]) for name, p in declared.items()
                     if p.get("Type") == "CommaDelimitedList" and "Default" in p and name not in params}
    json.dump({"template": cfn, "functions": manifest, "parameters": list_defaults}, sys.stdout)


if __name__ == "__main__":
    main()
