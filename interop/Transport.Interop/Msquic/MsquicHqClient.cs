using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using System.Text;

namespace Transport.Interop.Msquic;

/// <summary>
/// A minimal hq-interop client on msquic (System.Net.Quic): one connection, one bidirectional stream per URL, all in
/// parallel; writes "GET /path\r\n" + FIN and stores the response (up to FIN) as the URL's last path segment in the
/// download directory (TESTCASES.md §4). The server certificate is not verified, as runner clients do not.
/// </summary>
public static class MsquicHqClient
{
    /// <summary>
    /// Connects to <paramref name="server"/> with SNI <paramref name="serverName"/>, downloads every URL in
    /// <paramref name="urls"/> (e.g. https://server4:443/name; only the path is sent) into
    /// <paramref name="downloadDirectory"/>, then closes the connection with application error 0. Returns the file
    /// names written. Throws <see cref="PlatformNotSupportedException"/> when libmsquic is absent, and
    /// <see cref="QuicException"/> when the connection or a stream fails.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DownloadAsync(IPEndPoint server, string serverName, IEnumerable<string> urls,
        string downloadDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(serverName);
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        var targets = new List<(string Path, string File)>();
        foreach (string url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.AbsolutePath.Length < 2)
                throw new ArgumentException($"'{url}' is not an absolute URL with a file path.", nameof(urls));
            string file = Uri.UnescapeDataString(uri.AbsolutePath[(uri.AbsolutePath.LastIndexOf('/') + 1)..]);
            if (file.Length == 0) throw new ArgumentException($"'{url}' names no file.", nameof(urls));
            targets.Add((uri.AbsolutePath, file));
        }
        if (!MsquicPeer.IsAvailable) throw new PlatformNotSupportedException(MsquicPeer.UnavailableReason);
        Directory.CreateDirectory(downloadDirectory);
        await DownloadCoreAsync(server, serverName, targets, downloadDirectory, cancellationToken).ConfigureAwait(false);
        var names = new List<string>(targets.Count);
        foreach ((_, string file) in targets) names.Add(file);
        return names;
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private static async Task DownloadCoreAsync(IPEndPoint server, string serverName, List<(string Path, string File)> targets,
        string downloadDirectory, CancellationToken cancellationToken)
    {
        QuicConnection connection = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = server,
            DefaultStreamErrorCode = 0x10c, // H3_REQUEST_CANCELLED-like; any value is fine for hq-interop
            DefaultCloseErrorCode = 0,
            IdleTimeout = TimeSpan.FromSeconds(180),
            MaxInboundBidirectionalStreams = 0,
            MaxInboundUnidirectionalStreams = 0,
            ClientAuthenticationOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [new SslApplicationProtocol(MsquicPeer.HqInteropAlpn)],
                TargetHost = serverName,
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            },
        }, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var downloads = new Task[targets.Count];
            for (int i = 0; i < targets.Count; i++)
            {
                (string path, string file) = targets[i];
                downloads[i] = FetchAsync(connection, path, Path.Combine(downloadDirectory, file), cancellationToken);
            }
            await Task.WhenAll(downloads).ConfigureAwait(false);
            await connection.CloseAsync(0, cancellationToken).ConfigureAwait(false);
        }
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private static async Task FetchAsync(QuicConnection connection, string path, string destination, CancellationToken cancellationToken)
    {
        QuicStream stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET " + path + "\r\n"), completeWrites: true, cancellationToken).ConfigureAwait(false);
            var file = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                await stream.CopyToAsync(file, 64 * 1024, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
