vcl 4.1;

# Varnish in front of Folio, purging by surrogate key (vmod xkey, Debian's varnish-modules): a change shows at
# once, not when Folio's `max-age` runs out.
# - a write that passes through Varnish purges the keys of its own `Purge-Keys` answer;
# - anyone else (a webhook receiver, a CI script that wrote to Folio directly) sends
#   `PURGE /` with `xkey-purge: <the keys>` from an address in `purgers`.
# Objects live as long as Folio's `max-age` says (FOLIO_CACHE_MAX_AGE, 60 s). A fetch that was in flight when the
# write committed, or that reached an instance which had not yet heard of it (a few ms), can store the old version
# after the write's purge; `max-age` bounds that. To keep objects longer (a day, below), also run a webhook
# receiver that PURGEs each entry's `purge_keys`: it arrives after those few ms, and it is the only purge of a
# scheduled article going live, which no write announces.
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
    # What Folio marks for shared caches is indexed by its keys. With the webhook purge running, uncomment the
    # day: purges keep it fresh.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
        # set beresp.ttl = 1d;
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
    # Browsers and further caches get Folio's own Cache-Control.
}
