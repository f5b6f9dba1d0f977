#!/usr/bin/env python3
# Regenerates the hostile spec corpus (tests/data/hostile/*.yaml). The
# NAME.expected files beside each spec hold the diagnostics it must produce
# and are checked by tests/e2e/hostile_specs.sh.
import os
out = os.path.dirname(os.path.abspath(__file__))
os.makedirs(out + "/templates", exist_ok=True)
open(out + "/templates/empty.tmpl", "w").write("#cloud-config\n")
BASE_HEAD = """deployment: hostile
providers:
  do: {type: digitalocean, region: nyc3, token: "${env:DIGITALOCEAN_TOKEN}"}
images:
  ubuntu: {provider: do, source: ubuntu-22-04-x64}
networks:
  main: {provider: do, cidr: 10.10.0.0/16}
ssh_keys:
  ops: {public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7yF2vZ0cW2fK8ZlqX3mM5p9XbJmWz1dVfJcQ8r2x8n ops@x"}
"""
def tier(body, name="api"):
    return BASE_HEAD + "tiers:\n  %s:\n    provider: do\n    size: s-1vcpu-1gb\n    image: ubuntu\n    network: main\n" % name + body
cases = {}
def c(name, text):
    assert name not in cases, name
    cases[name] = text if isinstance(text, bytes) else text.encode()
# --- syntax
c("syntax-unclosed-flow-map", BASE_HEAD + "tiers:\n  api: {provider: do, size: s-1vcpu-1gb\n")
c("syntax-unclosed-flow-seq", tier("    ssh_keys: [ops\n"))
c("syntax-unclosed-quote", tier('    size: "s-1vcpu-1gb\n'))
c("syntax-bad-indent", tier("      count: 2\n   depends_on: []\n"))
c("syntax-tab-indent", tier("\tcount: 2\n"))
c("syntax-two-documents", BASE_HEAD + "---\ndeployment: other\n")
c("syntax-empty-file", "")
c("syntax-only-comments", "# nothing here\n# at all\n")
c("syntax-top-level-list", "- deployment: hostile\n- tiers: {}\n")
c("syntax-top-level-scalar", "just a string\n")
c("syntax-duplicate-key", tier("    count: 2\n    count: 3\n"))
c("syntax-duplicate-tier", tier("", "api") + "  api:\n    provider: do\n")
c("syntax-stray-colon", tier("    count: 2: 3\n"))
c("syntax-bad-alias", tier("    count: *nowhere\n"))
c("syntax-nul-byte", tier("    count: 2\n").replace("count: 2", "count: \x002"))
c("syntax-control-char", tier("    size: s-1vcpu\x07-1gb\n"))
# --- encoding
c("utf8-invalid-byte", (BASE_HEAD + "tiers:\n  api:\n    provider: do\n    size: s-1vcpu-\xff\n").encode("latin-1"))
c("utf8-latin1-comment", ("# caf\xe9 au lait\n" + BASE_HEAD).encode("latin-1"))
c("utf8-overlong", (BASE_HEAD).encode() + b"tiers:\n  api:\n    provider: do\n    size: \xc0\xafsmall\n")
c("utf8-surrogate", (BASE_HEAD).encode() + b"tiers:\n  api:\n    provider: do\n    size: \xed\xa0\x80\n")
c("utf8-truncated-sequence", (BASE_HEAD).encode() + b"tiers:\n  api:\n    provider: do\n    size: abc\xe2\x82\n")
c("utf16-bom", b"\xff\xfe" + "deployment: hostile\n".encode("utf-16-le"))
# --- types
c("type-count-string", tier("    count: three\n"))
c("type-count-float", tier("    count: 2.5\n"))
c("type-count-negative", tier("    count: -1\n"))
c("type-count-list", tier("    count: [1, 2]\n"))
c("type-count-hex", tier("    count: 0x10\n"))
c("type-bool-yes", tier("    floating_ip: yes\n"))
c("type-tiers-list", BASE_HEAD + "tiers:\n  - api\n  - web\n")
c("type-providers-scalar", "deployment: hostile\nproviders: digitalocean\n")
c("type-size-map", tier("    count: 1\n").replace("size: s-1vcpu-1gb", "size: {cpu: 1}"))
c("type-volume-size-string", tier("    volumes:\n      - {name: data, size_gb: big}\n"))
c("type-port-out-of-range", tier("    load_balancer:\n      listeners: [{protocol: http, port: 70000}]\n"))
c("type-cpu-target", tier("    group: {min: 1, max: 3, cpu_target: 5}\n"))
c("type-group-min-gt-max", tier("    group: {min: 5, max: 2}\n"))
c("type-count-and-group", tier("    count: 2\n    group: {min: 1, max: 3}\n"))
c("type-bad-cidr", BASE_HEAD.replace("10.10.0.0/16", "10.10.0.0/33"))
c("type-cidr-leading-zero", BASE_HEAD.replace("10.10.0.0/16", "010.10.0.0/16"))
c("type-bad-ssh-key", BASE_HEAD.replace('"ssh-ed25519 AAAA', '"rsa AAAA'))
c("type-firewall-ports", tier("    firewall:\n      - {protocol: tcp, ports: \"90-80\", from: [\"10.0.0.0/8\"]}\n"))
c("type-icmp-ports", tier("    firewall:\n      - {protocol: icmp, ports: \"22\", from: [\"10.0.0.0/8\"]}\n"))
c("name-deployment-upper", BASE_HEAD.replace("deployment: hostile", "deployment: Hostile"))
c("name-deployment-too-long", BASE_HEAD.replace("deployment: hostile", "deployment: " + "h" * 40))
c("name-tier-underscore", tier("", "api_tier"))
c("name-deployment-missing", BASE_HEAD.replace("deployment: hostile\n", ""))
c("key-unknown-top", BASE_HEAD + "tierz: {}\n")
c("key-unknown-tier", tier("    cuont: 2\n"))
c("key-unknown-provider-type", BASE_HEAD.replace("type: digitalocean", "type: digitalcoean"))
# --- references
c("ref-unknown-provider", tier("").replace("    provider: do\n    size", "    provider: dox\n    size"))
c("ref-unknown-network", tier("").replace("network: main", "network: mian"))
c("ref-unknown-ssh-key", tier("    ssh_keys: [opz]\n"))
c("ref-unknown-depends", tier("    depends_on: [database]\n"))
c("ref-unknown-var", tier("    count: ${var.replicas}\n"))
c("ref-unknown-tier-attr", tier("    user_data:\n      template: templates/empty.tmpl\n      vars: {x: \"${tiers.api.bogus}\"}\n"))
c("ref-unknown-tier-ref", tier("    user_data:\n      template: templates/empty.tmpl\n      vars: {x: \"${tiers.nope.private_ips}\"}\n"))
c("ref-unset-env", tier("    size: ${env:ORCH_HOSTILE_UNSET_VAR}\n").replace("    size: s-1vcpu-1gb\n", "", 1))
c("ref-missing-file", BASE_HEAD.replace('{public_key: "ssh-ed25519', '{public_key: "${file:/nonexistent/key.pub}", x: "ssh-ed25519'))
c("ref-unterminated-subst", tier("    size: ${var.size\n").replace("    size: s-1vcpu-1gb\n", "", 1))
c("ref-unknown-subst-kind", tier("    size: ${shell:rm -rf /}\n").replace("    size: s-1vcpu-1gb\n", "", 1))
c("ref-firewall-unknown-tier", tier("    firewall:\n      - {protocol: tcp, ports: \"22\", from: [\"tier:bastion\"]}\n"))
c("ref-template-missing", tier("    user_data: {template: ./no-such-template.tmpl}\n"))
c("ref-lb-ip-without-lb", tier("", "web") + "  api:\n    provider: do\n    size: s-1vcpu-1gb\n    image: ubuntu\n    user_data:\n      template: templates/empty.tmpl\n      vars: {x: \"${tiers.web.lb_ip}\"}\n")
# --- cycles
c("cycle-self", tier("    depends_on: [api]\n"))
c("cycle-two", tier("    depends_on: [web]\n") + "  web:\n    provider: do\n    size: s-1vcpu-1gb\n    image: ubuntu\n    depends_on: [api]\n")
c("cycle-three", tier("    depends_on: [b]\n", "a") + "  b:\n    provider: do\n    size: s\n    image: ubuntu\n    depends_on: [c]\n  c:\n    provider: do\n    size: s\n    image: ubuntu\n    depends_on: [a]\n")
c("cycle-via-reference", tier("    user_data:\n      template: templates/empty.tmpl\n      vars: {x: \"${tiers.web.private_ips}\"}\n") + "  web:\n    provider: do\n    size: s\n    image: ubuntu\n    depends_on: [api]\n")
# --- huge counts
c("huge-count", tier("    count: 1000000\n"))
c("huge-count-64bit", tier("    count: 99999999999999999999999\n"))
c("huge-group-max", tier("    group: {min: 1, max: 100000}\n"))
c("huge-volume", tier("    volumes:\n      - {name: data, size_gb: 1000000}\n"))
c("huge-scalar-count", tier("    count: " + "9" * 5000 + "\n"))
# --- nesting
deep = "x: " + "[" * 200 + "]" * 200
c("deep-flow-lists", tier("    user_data:\n      template: templates/empty.tmpl\n      vars: {%s}\n" % deep))
blk = "".join("  " * (i + 4) + "k%d:\n" % i for i in range(100)) + "  " * 104 + "v: 1\n"
c("deep-block-maps", tier("    user_data:\n      template: templates/empty.tmpl\n      vars:\n" + blk.replace("  " * 4, "        ", 1)))
c("deep-flow-maps", tier("    user_data:\n      template: templates/empty.tmpl\n      vars: {x: " + "{a: " * 150 + "1" + "}" * 150 + "}\n"))
# --- alias bombs
lol = "anchors:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
for i in range(1, 10):
    lol += "  a%d: &a%d [%s]\n" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10))
c("bomb-billion-laughs", BASE_HEAD.replace("deployment: hostile\n", "deployment: hostile\n" + lol.replace("anchors:", "x-anchors:")))
c("bomb-in-vars", tier("    user_data:\n      template: templates/empty.tmpl\n      vars:\n" + "".join("        " + l[2:] + "\n" if l.startswith("  ") else "" for l in lol.splitlines())))
merge = "base0: &b0 {k: v}\n" + "".join("base%d: &b%d {<<: [%s]}\n" % (i, i, ", ".join(["*b%d" % (i - 1)] * 8)) for i in range(1, 9))
c("bomb-merge-keys", BASE_HEAD + "".join("x-" + l + "\n" for l in merge.splitlines()))
c("bomb-wide-alias-fanout", tier("    user_data:\n      template: templates/empty.tmpl\n      vars:\n        a: &big [" + ", ".join(["xxxxxxxx"] * 2000) + "]\n        b: [" + ", ".join(["*big"] * 100) + "]\n"))
c("bomb-long-key", tier("    " + "k" * 100000 + ": 1\n"))
c("bomb-many-errors", BASE_HEAD + "tiers:\n" + "".join("  t%d: {provider: do, size: s, image: ubuntu, count: 1001}\n" % i for i in range(300)))
for name, data in cases.items():
    with open(os.path.join(out, name + ".yaml"), "wb") as f:
        f.write(data)
print(len(cases))
