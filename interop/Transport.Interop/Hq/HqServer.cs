using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Transport.Interop.Http3;

namespace Transport.Interop.Hq;

/// <summary>
/// The hq-interop server (HTTP/0.9 over QUIC, ALPN "hq-interop"; ../shared/interop/TESTCASES.md §4): on each
/// client bidirectional stream it reads "GET /path", answering as soon as CRLF or FIN arrives, writes the raw file
/// bytes and FIN. A missing file or a bad request resets the stream (<see cref="HqErrorCode"/>).
/// </summary>
public sealed class HqServer
{
    private const int MaxRequestLength = 8 * 1024;
    private const int Chunk = 32 * 1024;
    private readonly WebRoot _root;

    /// <summary>Serves files under <paramref name="root"/>.</summary>
    public HqServer(WebRoot root) => _root = root ?? throw new ArgumentNullException(nameof(root));

    /// <summary>Serves one connection until it closes. Never faults for the peer's misbehaviour.</summary>
    public async Task ServeConnectionAsync(IH3Connection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var tasks = new List<Task>();
        try
        {
            while (await connection.AcceptStreamAsync(cancellationToken).ConfigureAwait(false) is IH3Stream stream)
            {
                if (!stream.CanWrite)
                {
                    stream.AbortRead(HqErrorCode.BadRequest); // hq-interop uses no unidirectional streams
                    continue;
                }
                tasks.Add(Task.Run(() => HandleRequestAsync(stream, cancellationToken), CancellationToken.None));
                tasks.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested) { /* connection gone */ }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>
    /// Parses an hq-interop request line: "GET /path", trailing CR/LF/spaces ignored. Returns the path, or null when
    /// the request is not of that form.
    /// </summary>
    public static string? ParseRequest(ReadOnlySpan<byte> request)
    {
        string text = Encoding.Latin1.GetString(request).TrimEnd('\r', '\n', ' ', '\t');
        int crlf = text.IndexOf('\n');
        if (crlf >= 0) text = text[..crlf].TrimEnd('\r', ' ', '\t');
        if (!text.StartsWith("GET /", StringComparison.Ordinal)) return null;
        string path = text[4..];
        int space = path.IndexOf(' ');
        if (space >= 0) path = path[..space]; // tolerate "GET /x HTTP/1.0"
        return path;
    }

    private async Task HandleRequestAsync(IH3Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            PipeReader input = stream.Input;
            byte[]? request = null;
            while (request is null)
            {
                ReadResult r = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buf = r.Buffer;
                SequencePosition? lf = buf.PositionOf((byte)'\n');
                if (lf is not null)
                {
                    request = buf.Slice(0, lf.Value).ToArray();
                    input.AdvanceTo(buf.End);
                }
                else if (r.IsCompleted || r.IsCanceled)
                {
                    request = buf.ToArray();
                    input.AdvanceTo(buf.End);
                }
                else if (buf.Length > MaxRequestLength)
                {
                    input.AdvanceTo(buf.End);
                    break;
                }
                else input.AdvanceTo(buf.Start, buf.End);
            }
            string? path = request is null || request.Length > MaxRequestLength ? null : ParseRequest(request);
            if (path is null)
            {
                stream.AbortRead(HqErrorCode.BadRequest);
                stream.AbortWrite(HqErrorCode.BadRequest);
                return;
            }
            string? file = _root.Resolve(path);
            FileStream? fs = null;
            if (file is not null)
            {
                try
                {
                    fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1,
                        FileOptions.Asynchronous | FileOptions.SequentialScan);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { fs = null; }
            }
            if (fs is null)
            {
                stream.AbortWrite(HqErrorCode.NotFound);
                await input.CompleteAsync().ConfigureAwait(false);
                return;
            }
            await using (fs.ConfigureAwait(false))
            {
                PipeWriter output = stream.Output;
                while (true)
                {
                    Memory<byte> memory = output.GetMemory(Chunk);
                    int n = await fs.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                    if (n == 0) break;
                    output.Advance(n);
                    FlushResult flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (flush.IsCompleted) return; // STOP_SENDING from the client
                }
                await output.CompleteAsync().ConfigureAwait(false); // FIN = end of file
            }
            await input.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            stream.AbortWrite(HqErrorCode.InternalError);
        }
    }
}
