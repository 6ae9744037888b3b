using System.Globalization;
using System.IO.Pipelines;

namespace Transport.Interop.Http3;

/// <summary>
/// A minimal HTTP/3 file server (RFC 9114): GET and HEAD of files under a <see cref="WebRoot"/>, 200 with
/// content-length and the file streamed in DATA frames, 404 for anything missing.
/// </summary>
public sealed class Http3Server
{
    private const int DataChunk = 32 * 1024;
    private readonly WebRoot _root;

    /// <summary>Serves files under <paramref name="root"/>.</summary>
    public Http3Server(WebRoot root) => _root = root ?? throw new ArgumentNullException(nameof(root));

    /// <summary>
    /// Serves one connection until it closes: opens the control stream, handles the client's unidirectional streams
    /// and every request stream. Protocol errors close the connection with their code; the task does not fault for
    /// them.
    /// </summary>
    public async Task ServeConnectionAsync(IH3Connection connection, CancellationToken cancellationToken = default)
    {
        var session = new Http3Session(connection, isServer: true);
        var tasks = new List<Task>();
        try
        {
            await session.OpenControlStreamAsync(cancellationToken).ConfigureAwait(false);
            while (await connection.AcceptStreamAsync(cancellationToken).ConfigureAwait(false) is IH3Stream stream)
            {
                if (!stream.CanWrite)
                    tasks.Add(Task.Run(() => session.HandleUnidirectionalStreamAsync(stream, cancellationToken), CancellationToken.None));
                else if ((stream.StreamId & 0x1) != 0)
                    await session.CloseAsync(Http3ErrorCode.StreamCreationError).ConfigureAwait(false); // server-initiated ID from the peer?
                else
                    tasks.Add(Task.Run(() => HandleRequestAsync(session, stream, cancellationToken), CancellationToken.None));
                tasks.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The connection failed underneath us.
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task HandleRequestAsync(Http3Session session, IH3Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            var reader = new Http3FrameReader(stream.Input);
            List<HeaderField>? headers = null;
            while (headers is null && await reader.ReadFrameHeaderAsync(cancellationToken).ConfigureAwait(false))
            {
                ulong type = reader.FrameType;
                switch (type)
                {
                    case Http3FrameType.Headers:
                        byte[] block = await reader.ReadPayloadAsync(Http3Session.MaxBufferedFramePayload, cancellationToken).ConfigureAwait(false);
                        headers = QpackDecoder.Decode(block, Http3Session.MaxBufferedFramePayload);
                        break;
                    default:
                        await CheckRequestFrameAsync(reader, cancellationToken).ConfigureAwait(false);
                        // RFC 9114 §4.1: DATA before HEADERS is H3_FRAME_UNEXPECTED.
                        if (type == Http3FrameType.Data)
                            throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "DATA before HEADERS on a request stream.");
                        break;
                }
            }
            if (headers is null)
                throw new Http3Exception(Http3ErrorCode.RequestIncomplete, "The request stream ended without HEADERS.");

            await RespondAsync(stream, headers, cancellationToken).ConfigureAwait(false);

            // Read what remains of the request (GET has no body; trailers or unknown frames are allowed).
            while (await reader.ReadFrameHeaderAsync(cancellationToken).ConfigureAwait(false))
                await CheckRequestFrameAsync(reader, cancellationToken).ConfigureAwait(false);
            await stream.Input.CompleteAsync().ConfigureAwait(false);
        }
        catch (Http3Exception e) when (Http3ErrorCode.IsStreamError(e.ErrorCode))
        {
            stream.AbortRead(e.ErrorCode);
            stream.AbortWrite(e.ErrorCode);
        }
        catch (Http3Exception e)
        {
            await session.CloseAsync(e.ErrorCode).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Reset by the peer, connection gone or cancelled: abandon this request only.
            stream.AbortWrite(Http3ErrorCode.InternalError);
        }
    }

    // Frames other than HEADERS on a request stream (RFC 9114 §4.1, §7.2): DATA and unknown types are skipped here,
    // control-stream frames and PUSH_PROMISE (which only servers send) are H3_FRAME_UNEXPECTED.
    private static async ValueTask CheckRequestFrameAsync(Http3FrameReader reader, CancellationToken cancellationToken)
    {
        ulong type = reader.FrameType;
        if (type is Http3FrameType.Settings or Http3FrameType.GoAway or Http3FrameType.MaxPushId
            or Http3FrameType.CancelPush or Http3FrameType.PushPromise || Http3FrameType.IsHttp2Only(type))
            throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"Frame 0x{type:x} on a request stream.");
        await reader.SkipPayloadAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RespondAsync(IH3Stream stream, List<HeaderField> headers, CancellationToken cancellationToken)
    {
        string? method = null, scheme = null, path = null;
        bool regular = false;
        foreach (HeaderField f in headers)
        {
            // RFC 9114 §4.2, §4.3: lowercase names; pseudo-headers first, once each, only the request ones.
            foreach (char c in f.Name)
                if (c is >= 'A' and <= 'Z')
                    throw new Http3Exception(Http3ErrorCode.MessageError, $"Field name '{f.Name}' has uppercase characters.");
            if (f.Name.StartsWith(':'))
            {
                if (regular) throw new Http3Exception(Http3ErrorCode.MessageError, "Pseudo-header after a regular field.");
                switch (f.Name)
                {
                    case ":method": method = method is null ? f.Value : throw Dup(f.Name); break;
                    case ":scheme": scheme = scheme is null ? f.Value : throw Dup(f.Name); break;
                    case ":path": path = path is null ? f.Value : throw Dup(f.Name); break;
                    case ":authority": break;
                    default: throw new Http3Exception(Http3ErrorCode.MessageError, $"Unknown pseudo-header {f.Name}.");
                }
            }
            else regular = true;
        }
        if (method is null || scheme is null || string.IsNullOrEmpty(path))
            throw new Http3Exception(Http3ErrorCode.MessageError, "The request lacks :method, :scheme or :path.");

        PipeWriter output = stream.Output;
        if (method is not ("GET" or "HEAD"))
        {
            WriteHeaders(output, 405, 0);
            await output.CompleteAsync().ConfigureAwait(false);
            return;
        }
        string? file = _root.Resolve(path);
        FileStream? fs = null;
        if (file is not null)
        {
            try
            {
                fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1,
                    FileOptions.Asynchronous | FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { fs = null; }
        }
        if (fs is null)
        {
            WriteHeaders(output, 404, 0);
            await output.CompleteAsync().ConfigureAwait(false);
            return;
        }
        await using (fs.ConfigureAwait(false))
        {
            long length = fs.Length;
            WriteHeaders(output, 200, length);
            if (method == "HEAD")
            {
                await output.CompleteAsync().ConfigureAwait(false);
                return;
            }
            FlushResult flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            long left = length;
            while (left > 0 && !flush.IsCompleted)
            {
                int chunk = (int)Math.Min(left, DataChunk);
                Http3Frames.WriteFrameHeader(output, Http3FrameType.Data, (ulong)chunk);
                Memory<byte> memory = output.GetMemory(chunk)[..chunk];
                int filled = 0;
                while (filled < chunk)
                {
                    int n = await fs.ReadAsync(memory[filled..], cancellationToken).ConfigureAwait(false);
                    if (n == 0) break;
                    filled += n;
                }
                if (filled < chunk)
                {
                    // The file shrank while being served: the promised length cannot be kept.
                    stream.AbortWrite(Http3ErrorCode.InternalError);
                    return;
                }
                output.Advance(chunk);
                left -= chunk;
                flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            if (flush.IsCompleted) return; // the client sent STOP_SENDING
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static Http3Exception Dup(string name) => new(Http3ErrorCode.MessageError, $"Pseudo-header {name} repeated.");

    private static void WriteHeaders(PipeWriter output, int status, long contentLength)
    {
        byte[] block = QpackEncoder.Encode(
        [
            new HeaderField(":status", status.ToString(CultureInfo.InvariantCulture)),
            new HeaderField("content-length", contentLength.ToString(CultureInfo.InvariantCulture)),
        ]);
        Http3Frames.WriteFrame(output, Http3FrameType.Headers, block);
    }
}
