use super::checks::{site_url_ok, template_ok};
use super::*;

#[test]
fn defaults_are_valid_and_urls_lose_their_final_slash() {
    let mut s = SiteSettings::default();
    assert!(s.clone().parse().is_ok());
    s.url = Some("https://example.com/blog/".to_owned());
    let s = s.parse().expect("valid");
    assert_eq!(s.url.as_deref(), Some("https://example.com/blog"));
    assert_eq!(
        s.absolute_url("https://example.com/blog", &s.tag_path("rust")),
        "https://example.com/blog/tag/rust/"
    );
}

#[test]
fn urls_with_credentials_bad_escapes_or_odd_hosts_are_refused() {
    for bad in [
        "https://:secret@example.com/blog",
        "https://@example.com",
        "https:example.com",
        "https:///example.com",
        "https://example.com/%zz",
        "https://example.com:",
        "https://example.com:70000",
        "HTTPS://example.com",
        "https://exämple.com",
        "https://-example.com",
        "https://ex_ample.com",
        "https://example.com\\blog",
    ] {
        assert!(!site_url_ok(bad), "{bad}");
    }
    for good in [
        "https://example.com",
        "http://a.b-c.example:8080/x/%C3%A9",
        "https://x:65535",
    ] {
        assert!(site_url_ok(good), "{good}");
    }
}

#[test]
fn kinds_keep_templates_of_their_own_and_labels_are_not_blank() {
    let s = SiteSettings {
        permalinks: Permalinks {
            article: "/{slug}/".to_owned(),
            ..Permalinks::default()
        },
        navigation: vec![NavLink {
            label: "  ".to_owned(),
            url: "/".to_owned(),
        }],
        ..SiteSettings::default()
    };
    let fields: Vec<String> = s
        .parse()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["navigation[0].label", "permalinks"]);
}

#[test]
fn a_whole_number_may_be_written_with_a_zero_fraction() {
    let f: FeedSettings = serde_json::from_str(r#"{"items": 48.0}"#).unwrap_or_default();
    assert_eq!(f.items, 48);
    assert!(serde_json::from_str::<FeedSettings>(r#"{"items": 4.5}"#).is_err());
    assert!(serde_json::from_str::<FeedSettings>(r#"{"items": 300}"#).is_err());
}

#[test]
fn templates_hold_the_slug_once() {
    assert!(template_ok("/{slug}/", false));
    assert!(template_ok("/{year}/{month}/{slug}/", true));
    assert!(!template_ok("/{year}/{slug}/", false));
    assert!(!template_ok("/posts/", false));
    assert!(!template_ok("/{slug}/{slug}", false));
    assert!(!template_ok("blog/{slug}", false));
    assert!(!template_ok("//evil/{slug}", false));
    assert!(!template_ok("/{slug}?x=1", false));
}

#[test]
fn bad_settings_name_every_field() {
    let s = SiteSettings {
        url: Some("ftp://x".to_owned()),
        locale: "english language".to_owned(),
        timezone: "../etc".to_owned(),
        feeds: FeedSettings {
            content: FeedContent::Summary,
            items: 0,
        },
        ..SiteSettings::default()
    };
    let fields: Vec<String> = s
        .parse()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["feeds.items", "locale", "timezone", "url"]);
}

#[test]
fn article_paths_take_their_date() {
    let s = SiteSettings {
        permalinks: Permalinks {
            article: "/{year}/{month}/{day}/{slug}/".to_owned(),
            ..Permalinks::default()
        },
        ..SiteSettings::default()
    };
    let at = "2026-04-08T09:00:00Z".parse().unwrap_or_default();
    assert_eq!(s.article_path("hello", at), "/2026/04/08/hello/");
    assert_eq!(
        s.absolute_url("https://x.example/café", "/a b/"),
        "https://x.example/caf%C3%A9/a%20b/"
    );
}
