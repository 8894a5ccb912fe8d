//! Builds the application: the one place where the database, middleware and routes are put together, used by
//! `folio serve` and by the tests alike.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress, Logger, NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpServer};
use diesel::Connection;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::middleware;
use crate::api::{self, ApiDoc, Spec};
use crate::cache::ResponseCache;
use crate::config::Config;
use crate::db::embedded::{Cluster, ClusterError};
use crate::db::replicas::Replicas;
use crate::db::{self, DbError};
use crate::dispatch::Dispatcher;
use crate::state::AppState;

pub use crate::api::{openapi, openapi_to_string};

/// The whole HTTP application over the given state.
pub fn build_app(
    state: web::Data<AppState>,
    spec: web::Data<Spec>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let max_body = state.max_body_bytes();
    let state_trusted = state.config.trusted_proxies.clone();
    let cors = cors(&state.config.cors_origins);
    let app = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api::configure)
        .into_app();
    app.app_data(state)
        .app_data(spec)
        .app_data(
            web::JsonConfig::default()
                .limit(max_body)
                .error_handler(api::json_error),
        )
        .app_data(web::PayloadConfig::default().limit(max_body))
        .app_data(web::QueryConfig::default().error_handler(api::query_error))
        .app_data(web::PathConfig::default().error_handler(api::path_error))
        .service(web::redirect("/docs", "/docs/"))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::new(["/openapi.json"])),
        )
        .default_service(web::to(api::fallback))
        // Innermost first: the last `wrap` sees the request first.
        .wrap(from_fn(middleware::read_routing))
        .wrap(from_fn(middleware::response_cache))
        .wrap(from_fn(middleware::http_caching))
        .wrap(from_fn(middleware::read_limit))
        .wrap(from_fn(middleware::head_as_get))
        .wrap(Compress::default())
        .wrap(cors)
        .wrap(from_fn(middleware::close_refused))
        .wrap(from_fn(middleware::request_id))
        .wrap(access_log(&state_trusted))
        // Outermost: every other layer sees the normalized path (a write via `//api/v1/...` is a write to the API).
        .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
}

/// The access log: the client address (behind trusted proxies, the forwarded one) and the request line with
/// token-shaped secrets masked.
fn access_log(trusted: &[ipnet::IpNet]) -> Logger {
    let trusted = trusted.to_vec();
    Logger::new(r#"%{client}xi "%{request}xi" %s %b %Dms id=%{x-request-id}o"#)
        .custom_request_replace("client", move |req| {
            crate::client::address(req.peer_addr().map(|a| a.ip()), req.headers(), &trusted)
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| "-".to_owned())
        })
        .custom_request_replace("request", middleware::redacted_request_line)
}

/// CORS for browser frontends: `*` or a list of origins; the headers scripts need to read are exposed.
fn cors(origins: &str) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::HeaderName::from_static(middleware::REQUEST_ID),
        ])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static(crate::domain::surrogate::PURGE_HEADER),
            header::LINK,
            header::LOCATION,
            header::LAST_MODIFIED,
            header::RETRY_AFTER,
            header::HeaderName::from_static(middleware::REQUEST_ID),
        ])
        .max_age(3600);
    let list: Vec<&str> = origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    if list.is_empty() || list.contains(&"*") {
        cors = cors.allow_any_origin().send_wildcard();
    } else {
        for origin in list {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Media(#[from] crate::storage::StorageError),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, io::Error),
}

/// The database Folio uses: the configured one, or its private cluster (kept alive as long as this value).
pub struct Database {
    pub url: String,
    pub cluster: Option<Cluster>,
}

impl Database {
    pub fn open(config: &Config) -> Result<Database, StartupError> {
        match &config.database_url {
            Some(url) => Ok(Database {
                url: url.clone(),
                cluster: None,
            }),
            None => {
                let cluster = Cluster::start(&config.data_dir)?;
                log::info!(
                    "private PostgreSQL cluster in {} ({})",
                    config.data_dir.display(),
                    if cluster.started_here() {
                        "started"
                    } else {
                        "already running"
                    }
                );
                Ok(Database {
                    url: cluster.database_url(),
                    cluster: Some(cluster),
                })
            }
        }
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StartupError> {
        let mut conn = diesel::PgConnection::establish(&self.url)
            .map_err(|e| StartupError::Connect(e.to_string()))?;
        Ok(db::migrate(&mut conn)?)
    }
}

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    addr: SocketAddr,
    database: Database,
    cache: Arc<ResponseCache>,
    replicas: Arc<Replicas>,
    dispatcher: Dispatcher,
}

impl Application {
    pub fn build(config: Config) -> Result<Application, StartupError> {
        let database = Database::open(&config)?;
        if config.auto_migrate {
            let applied = database.migrate()?;
            if applied > 0 {
                log::info!("applied {applied} migration(s)");
            }
        }
        let pool = db::build_pool(
            &database.url,
            config.db_pool_size,
            config.statement_timeout_ms,
        );
        let listener =
            TcpListener::bind(config.bind).map_err(|e| StartupError::Bind(config.bind, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(config.bind, e))?;
        let workers = config.workers.map(usize::from);
        let shutdown_timeout = config.shutdown_timeout;
        let media =
            crate::storage::MediaStore::from_setting(&config.media_store, &config.data_dir)?;
        log::info!("media files: {}", media.description);
        let state = web::Data::new(AppState::new(pool, config, media));
        let spec = web::Data::new(Spec::new(&api::openapi()));
        state
            .cache
            .listen(database.url.clone(), Arc::clone(&state.replicas));
        state.replicas.monitor(database.url.clone());
        let replicas = Arc::clone(&state.replicas);
        let dispatcher = Dispatcher::start(state.pool.clone(), &state.config);
        let cache = Arc::clone(&state.cache);
        let mut server = HttpServer::new(move || build_app(state.clone(), spec.clone()))
            .shutdown_timeout(shutdown_timeout)
            .client_request_timeout(std::time::Duration::from_secs(10))
            .client_disconnect_timeout(std::time::Duration::from_secs(2))
            .keep_alive(std::time::Duration::from_secs(30));
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        let server = server
            .listen(listener)
            .map_err(|e| StartupError::Bind(addr, e))?
            .run();
        Ok(Application {
            server,
            addr,
            database,
            cache,
            replicas,
            dispatcher,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server from elsewhere (tests, signal handlers).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, lets in-flight requests finish, then stops the private cluster if this
    /// process started it.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let Application {
            server,
            database,
            cache,
            replicas,
            dispatcher,
            ..
        } = self;
        let result = server.await;
        drop(dispatcher);
        cache.stop();
        replicas.stop();
        drop(database);
        result
    }
}
