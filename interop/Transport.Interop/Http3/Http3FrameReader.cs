using System.Buffers;
using System.IO.Pipelines;

namespace Transport.Interop.Http3;

/// <summary>
/// Reads HTTP/3 frames one at a time from a stream's <see cref="PipeReader"/>: first the header, then the payload
/// either whole (<see cref="ReadPayloadAsync"/>), streamed (<see cref="CopyPayloadToAsync"/>) or skipped. A stream
/// that ends inside a frame is H3_FRAME_ERROR (RFC 9114 §7.1).
/// </summary>
public sealed class Http3FrameReader
{
    private readonly PipeReader _reader;
    private ulong _remaining;

    /// <summary>Creates a reader over <paramref name="reader"/>.</summary>
    public Http3FrameReader(PipeReader reader) => _reader = reader ?? throw new ArgumentNullException(nameof(reader));

    /// <summary>Type of the current frame.</summary>
    public ulong FrameType { get; private set; }

    /// <summary>Payload length of the current frame.</summary>
    public ulong PayloadLength { get; private set; }

    /// <summary>
    /// Reads a varint that is not part of a frame (the stream type of a unidirectional stream, a push ID). Null when
    /// the stream ends cleanly before its first byte; H3_FRAME_ERROR when it ends inside the varint.
    /// </summary>
    public async ValueTask<ulong?> ReadVarIntAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult r = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buf = r.Buffer;
            if (Http3Frames.TryReadVarInt(buf, out ulong v, out int n))
            {
                _reader.AdvanceTo(buf.GetPosition(n));
                return v;
            }
            if (r.IsCompleted || r.IsCanceled)
            {
                bool empty = buf.IsEmpty;
                _reader.AdvanceTo(buf.End);
                if (empty) return null;
                throw new Http3Exception(Http3ErrorCode.FrameError, "The stream ended inside a varint.");
            }
            _reader.AdvanceTo(buf.Start, buf.End);
        }
    }

    /// <summary>
    /// Reads the next frame header. False when the stream ends cleanly at a frame boundary. Any unread payload of the
    /// previous frame is skipped first.
    /// </summary>
    public async ValueTask<bool> ReadFrameHeaderAsync(CancellationToken cancellationToken = default)
    {
        if (_remaining > 0) await SkipPayloadAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            ReadResult r = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buf = r.Buffer;
            if (Http3Frames.TryReadFrameHeader(buf, out ulong type, out ulong length, out int consumed))
            {
                _reader.AdvanceTo(buf.GetPosition(consumed));
                FrameType = type;
                PayloadLength = length;
                _remaining = length;
                return true;
            }
            if (r.IsCompleted || r.IsCanceled)
            {
                bool empty = buf.IsEmpty;
                _reader.AdvanceTo(buf.End);
                if (empty) return false;
                throw new Http3Exception(Http3ErrorCode.FrameError, "The stream ended inside a frame header.");
            }
            _reader.AdvanceTo(buf.Start, buf.End);
        }
    }

    /// <summary>
    /// Reads the whole payload of the current frame into a new array. A payload longer than
    /// <paramref name="maxLength"/> is H3_EXCESSIVE_LOAD.
    /// </summary>
    public async ValueTask<byte[]> ReadPayloadAsync(int maxLength, CancellationToken cancellationToken = default)
    {
        if (_remaining > (ulong)maxLength)
            throw new Http3Exception(Http3ErrorCode.ExcessiveLoad, $"Frame 0x{FrameType:x} payload of {_remaining} bytes exceeds the limit of {maxLength}.");
        var payload = new byte[(int)_remaining];
        int filled = 0;
        while (filled < payload.Length)
        {
            ReadResult r = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buf = r.Buffer;
            int take = (int)Math.Min(buf.Length, payload.Length - filled);
            buf.Slice(0, take).CopyTo(payload.AsSpan(filled));
            filled += take;
            _reader.AdvanceTo(buf.GetPosition(take));
            if (filled < payload.Length && (r.IsCompleted || r.IsCanceled))
                throw new Http3Exception(Http3ErrorCode.FrameError, $"The stream ended inside frame 0x{FrameType:x}.");
        }
        _remaining = 0;
        return payload;
    }

    /// <summary>Writes the rest of the current frame's payload to <paramref name="destination"/> without buffering it whole.</summary>
    public async ValueTask CopyPayloadToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        while (_remaining > 0)
        {
            ReadResult r = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buf = r.Buffer;
            long take = (long)Math.Min((ulong)buf.Length, _remaining);
            foreach (ReadOnlyMemory<byte> segment in buf.Slice(0, take))
                await destination.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            _remaining -= (ulong)take;
            _reader.AdvanceTo(buf.GetPosition(take));
            if (_remaining > 0 && (r.IsCompleted || r.IsCanceled))
                throw new Http3Exception(Http3ErrorCode.FrameError, $"The stream ended inside frame 0x{FrameType:x}.");
        }
    }

    /// <summary>Discards the rest of the current frame's payload.</summary>
    public async ValueTask SkipPayloadAsync(CancellationToken cancellationToken = default)
    {
        while (_remaining > 0)
        {
            ReadResult r = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buf = r.Buffer;
            long take = (long)Math.Min((ulong)buf.Length, _remaining);
            _remaining -= (ulong)take;
            _reader.AdvanceTo(buf.GetPosition(take));
            if (_remaining > 0 && (r.IsCompleted || r.IsCanceled))
                throw new Http3Exception(Http3ErrorCode.FrameError, $"The stream ended inside frame 0x{FrameType:x}.");
        }
    }

    /// <summary>Reads and discards everything up to the end of the stream.</summary>
    public async ValueTask DrainAsync(CancellationToken cancellationToken = default)
    {
        _remaining = 0;
        while (true)
        {
            ReadResult r = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted || r.IsCanceled) return;
        }
    }
}
