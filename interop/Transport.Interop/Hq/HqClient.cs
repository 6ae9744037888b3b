using System.IO.Pipelines;
using System.Text;
using Transport.Interop.Http3;

namespace Transport.Interop.Hq;

/// <summary>
/// The hq-interop client: for each URL a new bidirectional stream carrying "GET /path\r\n" and FIN; the response is
/// the raw body up to FIN, written to the download directory under the URL's last path segment.
/// </summary>
public static class HqClient
{
    /// <summary>
    /// Fetches every URL in parallel on <paramref name="connection"/>. Every request is written before the first
    /// response is awaited (one stream after the other on the calling thread, the reads in parallel): with 0-RTT they all
    /// leave as early data before the handshake completes, instead of whenever a thread-pool task happens to run.
    /// </summary>
    public static async Task<DownloadResult[]> DownloadAllAsync(IH3Connection connection, IReadOnlyList<Uri> urls,
        string downloadDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        var tasks = new Task<DownloadResult>[urls.Count];
        for (int i = 0; i < urls.Count; i++)
        {
            Uri url = urls[i];
            if (WebRoot.DownloadFileName(url) is null)
            {
                tasks[i] = Task.FromResult(new DownloadResult(url, false, null, 0, null, "The URL has no usable file name."));
                continue;
            }
            // Opening waits at the peer's stream limit; the reads already started free streams meanwhile.
            IH3Stream? stream = null;
            string? error = null;
            try
            {
                stream = await SendRequestAsync(connection, url, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                error = e.Message;
            }
            tasks[i] = stream is null
                ? Task.FromResult(new DownloadResult(url, false, null, 0, null, error))
                : Task.Run(() => ReceiveAsync(stream, url, downloadDirectory, cancellationToken), CancellationToken.None);
        }
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Fetches one URL. Failures (reset, connection loss) come back as an unsuccessful result.</summary>
    public static async Task<DownloadResult> DownloadAsync(IH3Connection connection, Uri url, string downloadDirectory,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        if (WebRoot.DownloadFileName(url) is null) return new DownloadResult(url, false, null, 0, null, "The URL has no usable file name.");
        IH3Stream stream;
        try
        {
            stream = await SendRequestAsync(connection, url, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return new DownloadResult(url, false, null, 0, null, e.Message);
        }
        return await ReceiveAsync(stream, url, downloadDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a stream and writes "GET /path\r\n" and FIN on it.</summary>
    private static async Task<IH3Stream> SendRequestAsync(IH3Connection connection, Uri url, CancellationToken cancellationToken)
    {
        IH3Stream stream = await connection.OpenBidirectionalStreamAsync(cancellationToken).ConfigureAwait(false);
        // Request and FIN in one write: one packet per request, which keeps a 0-RTT batch of requests inside the initial window.
        await stream.WriteFinalAsync(Encoding.ASCII.GetBytes("GET " + url.AbsolutePath + "\r\n"), cancellationToken).ConfigureAwait(false);
        return stream;
    }

    /// <summary>Reads the response body of <paramref name="url"/> from <paramref name="stream"/> into the download directory.</summary>
    private static async Task<DownloadResult> ReceiveAsync(IH3Stream stream, Uri url, string downloadDirectory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        string? name = WebRoot.DownloadFileName(url);
        if (name is null) return new DownloadResult(url, false, null, 0, null, "The URL has no usable file name.");
        string filePath = Path.Combine(downloadDirectory, name);
        long received = 0;
        try
        {
            var file = new FileStream(filePath, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                PipeReader input = stream.Input;
                while (true)
                {
                    ReadResult r = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                    foreach (ReadOnlyMemory<byte> segment in r.Buffer)
                    {
                        await file.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                        received += segment.Length;
                    }
                    input.AdvanceTo(r.Buffer.End);
                    if (r.IsCompleted) break;
                    if (r.IsCanceled) throw new OperationCanceledException("The read was cancelled.");
                }
                await input.CompleteAsync().ConfigureAwait(false);
            }
            return new DownloadResult(url, true, null, received, filePath, null);
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            return new DownloadResult(url, false, null, received, null, e.Message);
        }
    }
}
