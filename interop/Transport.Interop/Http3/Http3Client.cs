using System.Globalization;

namespace Transport.Interop.Http3;

/// <summary>
/// A minimal HTTP/3 client (RFC 9114): GET requests, each on its own request stream, all in parallel; response
/// bodies are written to files named after the URL's last path segment.
/// </summary>
public sealed class Http3Client
{
    private readonly Http3Session _session;
    private Task? _acceptLoop;

    /// <summary>Creates a client on <paramref name="connection"/>; call <see cref="StartAsync"/> next.</summary>
    public Http3Client(IH3Connection connection) => _session = new Http3Session(connection, isServer: false);

    /// <summary>The session state (peer settings, GOAWAY, close code).</summary>
    public Http3Session Session => _session;

    /// <summary>Opens the control stream and starts handling the server's unidirectional streams.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _session.OpenControlStreamAsync(cancellationToken).ConfigureAwait(false);
        _acceptLoop = Task.Run(() => AcceptLoopAsync(cancellationToken), CancellationToken.None);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        var tasks = new List<Task>();
        try
        {
            while (await _session.Connection.AcceptStreamAsync(cancellationToken).ConfigureAwait(false) is IH3Stream stream)
            {
                if (stream.CanWrite)
                {
                    // RFC 9114 §6.1: a server-initiated bidirectional stream is H3_STREAM_CREATION_ERROR.
                    await _session.CloseAsync(Http3ErrorCode.StreamCreationError).ConfigureAwait(false);
                    continue;
                }
                tasks.Add(_session.HandleUnidirectionalStreamAsync(stream, cancellationToken));
                tasks.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (Exception) { /* connection gone */ }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Fetches every URL in parallel (one request stream each) into <paramref name="downloadDirectory"/>.</summary>
    public async Task<DownloadResult[]> DownloadAllAsync(IReadOnlyList<Uri> urls, string downloadDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var tasks = new Task<DownloadResult>[urls.Count];
        for (int i = 0; i < urls.Count; i++)
        {
            Uri url = urls[i];
            tasks[i] = Task.Run(() => DownloadAsync(url, downloadDirectory, cancellationToken), CancellationToken.None);
        }
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends GET <paramref name="url"/> on a new request stream and writes a 200 response's body to
    /// <paramref name="downloadDirectory"/>/(last path segment). Never throws for network or protocol failures: they
    /// come back as an unsuccessful result (and protocol errors close the connection with their code).
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(Uri url, string downloadDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        string? name = WebRoot.DownloadFileName(url);
        if (name is null) return new DownloadResult(url, false, null, 0, null, "The URL has no usable file name.");
        string filePath = Path.Combine(downloadDirectory, name);
        int? status = null;
        long received = 0;
        FileStream? file = null;
        IH3Stream? stream = null;
        try
        {
            stream = await _session.Connection.OpenBidirectionalStreamAsync(cancellationToken).ConfigureAwait(false);
            string authority = url.IsDefaultPort ? url.IdnHost : url.IdnHost + ":" + url.Port.ToString(CultureInfo.InvariantCulture);
            byte[] block = QpackEncoder.Encode(
            [
                new HeaderField(":method", "GET"),
                new HeaderField(":scheme", "https"),
                new HeaderField(":authority", authority),
                new HeaderField(":path", url.PathAndQuery),
                new HeaderField("user-agent", "Transport.Interop"),
            ]);
            Http3Frames.WriteFrame(stream.Output, Http3FrameType.Headers, block);
            await stream.Output.CompleteAsync().ConfigureAwait(false); // FIN: GET has no body

            var reader = new Http3FrameReader(stream.Input);
            long? contentLength = null;
            bool trailersSeen = false;
            while (await reader.ReadFrameHeaderAsync(cancellationToken).ConfigureAwait(false))
            {
                ulong type = reader.FrameType;
                switch (type)
                {
                    case Http3FrameType.Headers:
                    {
                        byte[] payload = await reader.ReadPayloadAsync(Http3Session.MaxBufferedFramePayload, cancellationToken).ConfigureAwait(false);
                        List<HeaderField> fields = QpackDecoder.Decode(payload, Http3Session.MaxBufferedFramePayload);
                        if (status is null)
                        {
                            int s = ParseStatus(fields, out contentLength);
                            if (s < 200) break; // interim (1xx) response; the final one follows
                            status = s;
                            if (s == 200)
                                file = new FileStream(filePath, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                        }
                        else if (trailersSeen)
                            throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "HEADERS after the trailers.");
                        else trailersSeen = true;
                        break;
                    }
                    case Http3FrameType.Data:
                        // RFC 9114 §4.1: DATA before the final HEADERS, or after trailers, is H3_FRAME_UNEXPECTED.
                        if (status is null || trailersSeen)
                            throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "DATA outside the response body.");
                        received += (long)reader.PayloadLength;
                        if (file is not null) await reader.CopyPayloadToAsync(file, cancellationToken).ConfigureAwait(false);
                        else await reader.SkipPayloadAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case Http3FrameType.PushPromise:
                        // We never sent MAX_PUSH_ID, so every push ID is beyond the limit (RFC 9114 §7.2.5).
                        throw new Http3Exception(Http3ErrorCode.IdError, "PUSH_PROMISE although no MAX_PUSH_ID was sent.");
                    case Http3FrameType.Settings:
                    case Http3FrameType.GoAway:
                    case Http3FrameType.MaxPushId:
                    case Http3FrameType.CancelPush:
                        throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"Frame 0x{type:x} on a request stream.");
                    default:
                        if (Http3FrameType.IsHttp2Only(type))
                            throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"HTTP/2 frame type 0x{type:x}.");
                        await reader.SkipPayloadAsync(cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
            await stream.Input.CompleteAsync().ConfigureAwait(false);
            if (file is not null) await file.DisposeAsync().ConfigureAwait(false);
            if (status is null) return Fail(url, null, received, file is null ? null : filePath, "The stream ended without a response.");
            // RFC 9114 §4.1.2: a content-length that disagrees with the DATA received makes the response malformed.
            if (contentLength is long cl && cl != received)
                return Fail(url, status, received, file is null ? null : filePath, $"content-length {cl} but {received} bytes arrived.");
            if (status != 200) return Fail(url, status, received, null, $"HTTP status {status}.");
            return new DownloadResult(url, true, status, received, filePath, null);
        }
        catch (Http3Exception e)
        {
            if (file is not null) await file.DisposeAsync().ConfigureAwait(false);
            if (Http3ErrorCode.IsStreamError(e.ErrorCode))
            {
                // RFC 9114 §4.1.2: a malformed response is a stream error; stop reading it.
                stream?.AbortRead(e.ErrorCode);
                return Fail(url, status, received, null, e.Message);
            }
            await _session.CloseAsync(e.ErrorCode).ConfigureAwait(false);
            return Fail(url, status, received, null, $"Connection error 0x{e.ErrorCode:x}: {e.Message}");
        }
        catch (Exception e) when (e is not ArgumentException)
        {
            if (file is not null) await file.DisposeAsync().ConfigureAwait(false);
            return Fail(url, status, received, null, e.Message);
        }
    }

    /// <summary>Closes the connection with H3_NO_ERROR and waits for the server-stream handlers to end.</summary>
    public async Task CloseAsync()
    {
        await _session.CloseAsync(Http3ErrorCode.NoError).ConfigureAwait(false);
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
    }

    private static DownloadResult Fail(Uri url, int? status, long received, string? path, string error) =>
        new(url, false, status, received, path, error);

    // RFC 9114 §4.3.2: exactly one :status, a three-digit code, and no request pseudo-headers.
    private static int ParseStatus(List<HeaderField> fields, out long? contentLength)
    {
        contentLength = null;
        int? status = null;
        foreach (HeaderField f in fields)
        {
            if (f.Name == ":status")
            {
                if (status is not null || f.Value.Length != 3 ||
                    !int.TryParse(f.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int s) || s < 100)
                    throw new Http3Exception(Http3ErrorCode.MessageError, $"Bad or repeated :status '{f.Value}'.");
                status = s;
            }
            else if (f.Name.StartsWith(':'))
                throw new Http3Exception(Http3ErrorCode.MessageError, $"Pseudo-header {f.Name} in a response.");
            else if (f.Name == "content-length")
            {
                if (!long.TryParse(f.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long cl))
                    throw new Http3Exception(Http3ErrorCode.MessageError, $"Bad content-length '{f.Value}'.");
                contentLength = cl;
            }
        }
        return status ?? throw new Http3Exception(Http3ErrorCode.MessageError, "The response has no :status.");
    }
}
