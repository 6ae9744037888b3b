using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Transport.Interop.Msquic;

/// <summary>
/// A minimal hq-interop server on msquic (System.Net.Quic): for each client bidirectional stream it reads
/// "GET /path", answering as soon as CRLF or the request's FIN arrives, writes the file's bytes from the web root and
/// FIN (TESTCASES.md §4). A bad request or a missing file aborts the stream with <see cref="RequestErrorCode"/>.
/// </summary>
public sealed class MsquicHqServer : IAsyncDisposable
{
    /// <summary>The application error code for a bad request or a missing file (quic-go uses 42 for both).</summary>
    public const long RequestErrorCode = 42;

    private const int MaxRequestLength = 8 * 1024;
    private readonly QuicListener _listener;
    private readonly string _root;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connections = [];
    private int _requestsServed;

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private MsquicHqServer(QuicListener listener, string root)
    {
        _listener = listener;
        _root = root;
        LocalEndPoint = listener.LocalEndPoint;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where the server listens (the port is filled in when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Requests answered with a complete file so far.</summary>
    public int RequestsServed => Volatile.Read(ref _requestsServed);

    /// <summary>
    /// Starts listening on <paramref name="endPoint"/> with ALPN hq-interop, serving files under
    /// <paramref name="webRoot"/> and presenting <paramref name="certificate"/> (with private key) followed by
    /// <paramref name="intermediates"/>. Throws <see cref="PlatformNotSupportedException"/> when libmsquic is absent.
    /// </summary>
    public static async Task<MsquicHqServer> StartAsync(IPEndPoint endPoint, string webRoot, X509Certificate2 certificate,
        X509Certificate2Collection? intermediates = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentException.ThrowIfNullOrEmpty(webRoot);
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey) throw new ArgumentException("The server certificate needs its private key.", nameof(certificate));
        if (!Directory.Exists(webRoot)) throw new DirectoryNotFoundException($"Web root '{webRoot}' does not exist.");
        if (!MsquicPeer.IsAvailable) throw new PlatformNotSupportedException(MsquicPeer.UnavailableReason);
        return await StartCoreAsync(endPoint, Path.GetFullPath(webRoot), certificate, intermediates, cancellationToken).ConfigureAwait(false);
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private static async Task<MsquicHqServer> StartCoreAsync(IPEndPoint endPoint, string webRoot, X509Certificate2 certificate,
        X509Certificate2Collection? intermediates, CancellationToken cancellationToken)
    {
        var context = SslStreamCertificateContext.Create(certificate, intermediates ?? [], offline: true);
        var serverOptions = new QuicServerConnectionOptions
        {
            DefaultStreamErrorCode = RequestErrorCode,
            DefaultCloseErrorCode = 0,
            MaxInboundBidirectionalStreams = 1000,
            MaxInboundUnidirectionalStreams = 0,
            IdleTimeout = TimeSpan.FromSeconds(180),
            ServerAuthenticationOptions = new SslServerAuthenticationOptions
            {
                ApplicationProtocols = [new SslApplicationProtocol(MsquicPeer.HqInteropAlpn)],
                ServerCertificateContext = context,
            },
        };
        QuicListener listener = await QuicListener.ListenAsync(new QuicListenerOptions
        {
            ListenEndPoint = endPoint,
            ApplicationProtocols = [new SslApplicationProtocol(MsquicPeer.HqInteropAlpn)],
            ConnectionOptionsCallback = (_, _, _) => ValueTask.FromResult(serverOptions),
        }, cancellationToken).ConfigureAwait(false);
        return new MsquicHqServer(listener, webRoot);
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            QuicConnection connection;
            try
            {
                connection = await _listener.AcceptConnectionAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (QuicException) { continue; } // one failed handshake does not stop the server
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ServeConnectionAsync(connection)));
            }
        }
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private async Task ServeConnectionAsync(QuicConnection connection)
    {
        var streams = new List<Task>();
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                while (true)
                {
                    QuicStream stream = await connection.AcceptInboundStreamAsync(_stop.Token).ConfigureAwait(false);
                    streams.Add(Task.Run(() => ServeStreamAsync(stream)));
                    streams.RemoveAll(t => t.IsCompleted);
                }
            }
            catch (Exception e) when (e is QuicException or OperationCanceledException or ObjectDisposedException) { /* closed */ }
            try { await Task.WhenAll(streams).ConfigureAwait(false); } catch (Exception) { /* each stream handles its own */ }
        }
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private async Task ServeStreamAsync(QuicStream stream)
    {
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                if (stream.Type != QuicStreamType.Bidirectional)
                {
                    stream.Abort(QuicAbortDirection.Read, RequestErrorCode); // hq-interop uses no unidirectional streams
                    return;
                }
                string? path = await ReadRequestPathAsync(stream).ConfigureAwait(false);
                string? file = path is null ? null : Resolve(path);
                if (file is null || !File.Exists(file))
                {
                    stream.Abort(QuicAbortDirection.Both, RequestErrorCode);
                    return;
                }
                var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
                await using (fs.ConfigureAwait(false))
                {
                    await fs.CopyToAsync(stream, 64 * 1024, _stop.Token).ConfigureAwait(false);
                }
                stream.CompleteWrites();
                Interlocked.Increment(ref _requestsServed);
            }
            catch (Exception e) when (e is QuicException or OperationCanceledException or ObjectDisposedException or IOException) { /* peer gone */ }
        }
    }

    // Reads "GET /path" up to CRLF or FIN (whichever first), ignoring trailing whitespace (TESTCASES.md §4).
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private async Task<string?> ReadRequestPathAsync(QuicStream stream)
    {
        byte[] buffer = new byte[MaxRequestLength];
        int length = 0;
        while (true)
        {
            int lineEnd = buffer.AsSpan(0, length).IndexOf("\r\n"u8);
            if (lineEnd >= 0) return ParsePath(buffer.AsSpan(0, lineEnd));
            if (length == buffer.Length) return null;
            int n = await stream.ReadAsync(buffer.AsMemory(length), _stop.Token).ConfigureAwait(false);
            if (n == 0) return ParsePath(buffer.AsSpan(0, length));
            length += n;
        }
    }

    /// <summary>
    /// The path of an hq-interop request line ("GET /path", CRLF and trailing whitespace optional), percent-decoded;
    /// null when the request is not a GET of an absolute path.
    /// </summary>
    public static string? ParsePath(ReadOnlySpan<byte> request)
    {
        string text = Encoding.ASCII.GetString(request).TrimEnd(' ', '\t', '\r', '\n');
        if (!text.StartsWith("GET /", StringComparison.Ordinal)) return null;
        string path = text[4..];
        return path.Contains(' ') ? null : Uri.UnescapeDataString(path);
    }

    private string? Resolve(string path)
    {
        string full = Path.GetFullPath(Path.Combine(_root, path.TrimStart('/')));
        string rootWithSlash = _root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar;
        return full.StartsWith(rootWithSlash, StringComparison.Ordinal) ? full : null; // no escaping the root
    }

    /// <summary>Stops accepting, closes the listener and waits for running connections to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (MsquicPeer.IsAvailable) await _listener.DisposeAsync().ConfigureAwait(false);
        try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        Task[] running;
        lock (_connections) running = [.. _connections];
        try { await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        _stop.Dispose();
    }
}
