vcl 4.1;

# Varnish in front of Folio, purging by surrogate key (vmod xkey, Debian's varnish-modules). Public responses are
# kept a day, since every change purges exactly what it made stale:
# - a write that passes through Varnish purges the keys of its own `Purge-Keys` answer;
# - anyone else (a webhook receiver, a CI script that wrote to Folio directly) sends
#   `PURGE /` with `xkey-purge: <the keys>` from an address in `purgers`.
# tests/cdn/run.py runs this file as is against a real Folio. The backend address is the only line to change.

import xkey;
import std;

backend folio {
    .host = "127.0.0.1";
    .port = "18190";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "xkey-purge names the keys to purge"));
        }
        if (req.http.xkey-purge == "*") {
            std.ban("obj.status != 0");
            return (synth(200, "Purged everything"));
        }
        return (synth(200, "Purged " + xkey.purge(req.http.xkey-purge) + " objects"));
    }
    # Token reads and writes are passed by the built-in rules (Authorization, methods other than GET and HEAD).
}

sub vcl_backend_response {
    # What Folio marks for shared caches is kept a day: purges keep it fresh. The rest keeps Folio's own rules.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
        set beresp.ttl = 1d;
        set beresp.grace = 1h;
    }
}

sub vcl_deliver {
    # A write's answer names what it made stale (purged here, on the client side, where xkey may purge).
    if (req.method != "GET" && req.method != "HEAD" && resp.http.Purge-Keys) {
        if (resp.http.Purge-Keys == "*") {
            std.ban("obj.status != 0");
        } else {
            std.log("purged " + xkey.purge(resp.http.Purge-Keys) + " objects for " + req.url);
        }
    }
    if (obj.hits > 0) {
        set resp.http.X-CDN = "hit";
    } else {
        set resp.http.X-CDN = "miss";
    }
    unset resp.http.xkey;
    # Browsers and further caches get Folio's own Cache-Control (a minute), not the day kept here.
}
