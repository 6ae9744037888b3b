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
    /// <summary>Fetches every URL in parallel on <paramref name="connection"/>.</summary>
    public static async Task<DownloadResult[]> DownloadAllAsync(IH3Connection connection, IReadOnlyList<Uri> urls,
        string downloadDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var tasks = new Task<DownloadResult>[urls.Count];
        for (int i = 0; i < urls.Count; i++)
        {
            Uri url = urls[i];
            tasks[i] = Task.Run(() => DownloadAsync(connection, url, downloadDirectory, cancellationToken), CancellationToken.None);
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
        string? name = WebRoot.DownloadFileName(url);
        if (name is null) return new DownloadResult(url, false, null, 0, null, "The URL has no usable file name.");
        string filePath = Path.Combine(downloadDirectory, name);
        long received = 0;
        try
        {
            IH3Stream stream = await connection.OpenBidirectionalStreamAsync(cancellationToken).ConfigureAwait(false);
            await stream.Output.WriteAsync(Encoding.ASCII.GetBytes("GET " + url.AbsolutePath + "\r\n"), cancellationToken).ConfigureAwait(false);
            await stream.Output.CompleteAsync().ConfigureAwait(false);
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
