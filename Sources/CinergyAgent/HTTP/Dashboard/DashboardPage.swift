import NIOCore

/// The dashboard served at `GET /`: `Resources/dashboard.html`, embedded in the binary by SwiftPM,
/// one HTML document with inline CSS and JavaScript that loads
/// nothing from elsewhere. It polls `GET /vms` and `GET /health` every 2 s, fills its power chart
/// from `GET /history` once, shows the host (`GET /host`: its load, the model's prediction and, with
/// a meter, the measured power and the model's drift), and asks for a bearer token when the API
/// answers 401. Its ledger table shows each VM's energy over the last 24 h or the last 30 days
/// (`GET /report`, every 60 s and when the period is switched).
///
/// Hooks for tests: `<table id="vms">` with one `<tr data-vm="NAME">` per VM whose cells carry
/// `data-field` (the `/vms` key they show), and `<svg id="power-chart">` with one
/// `<path data-vm="NAME">` per VM; `<p id="host">` and `<svg id="host-chart">` with
/// `<path data-series="measured|model">`; `<table id="ledger">` with one `<tr data-vm="NAME">` per
/// VM of the report, and the period buttons `<button data-period="24h">` and `data-period="30d"`.
/// Data only ever reaches the DOM through `textContent` and
/// `setAttribute`, never as markup.
enum DashboardPage {
    /// What stands in the file for the script's CSP nonce, once: `<script nonce="{{nonce}}">`.
    static let nonceMarker = Array("{{nonce}}".utf8)

    /// The page's bytes before and after the nonce marker.
    static let parts: (before: ByteBuffer, after: ByteBuffer) = {
        let page = PackageResources.dashboard_html
        let marker = nonceMarker
        guard let start = page.indices.first(where: { page[$0...].starts(with: marker) }) else {
            preconditionFailure("Resources/dashboard.html has no \(String(decoding: marker, as: UTF8.self))")
        }
        return (ByteBuffer(bytes: page[..<start]), ByteBuffer(bytes: page[(start + marker.count)...]))
    }()

    /// The page, its one script element carrying `nonce` (the only script the CSP lets run).
    static func html(nonce: String) -> ByteBuffer {
        var page = ByteBuffer()
        page.reserveCapacity(parts.before.readableBytes + nonce.utf8.count + parts.after.readableBytes)
        page.writeImmutableBuffer(parts.before)
        page.writeString(nonce)
        page.writeImmutableBuffer(parts.after)
        return page
    }

    /// The `Content-Security-Policy` for the page: only its own nonce'd script and inline styles
    /// run, `fetch` reaches only this agent, and nothing else loads, frames it or is submitted.
    static func contentSecurityPolicy(nonce: String) -> String {
        "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'unsafe-inline'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }
}
