using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace Transport.Bench.Tour;

/// <summary>
/// Many logical byte streams over one duplex <see cref="Stream"/> (a TCP connection, or TLS over one). Each frame is
/// a 7-byte header — stream id (4 bytes, big-endian), flags (1 byte: bit 0 = FIN, no more data on this stream from
/// the sender), payload length (2 bytes) — then the payload. The client opens streams (ids 1, 2, 3, ...); the server
/// learns of a stream from its first frame. One reader task demultiplexes into a <see cref="Pipe"/> per stream; a
/// stream whose reader falls behind stalls the whole connection once its pipe is full — TCP's head-of-line blocking,
/// which is the point when this is compared with QUIC streams.
/// </summary>
internal sealed class StreamMultiplexer : IAsyncDisposable
{
    internal const int HeaderSize = 7;
    internal const int MaxPayload = 32 * 1024;
    private const byte FinFlag = 1;

    private readonly Stream _transport;
    private readonly bool _isServer;
    private readonly Func<MuxStream, Task>? _onAccepted;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _readLoop;
    private uint _nextStreamId;
    private int _disposed;

    /// <summary>Starts demultiplexing <paramref name="transport"/>; a server calls <paramref name="onAccepted"/> for each new stream.</summary>
    public StreamMultiplexer(Stream transport, bool isServer, Func<MuxStream, Task>? onAccepted)
    {
        _transport = transport;
        _isServer = isServer;
        _onAccepted = onAccepted;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Completes when the peer closed the connection (or it broke): no more data will arrive on any stream.</summary>
    public Task ReadCompletion => _readLoop;

    /// <summary>Opens a new stream (client side).</summary>
    public MuxStream OpenStream()
    {
        if (_isServer) throw new InvalidOperationException("Only the client side opens multiplexed streams.");
        uint id = Interlocked.Increment(ref _nextStreamId);
        var stream = new MuxStream(this, id);
        _streams[id] = stream;
        return stream;
    }

    internal async ValueTask SendAsync(uint streamId, ReadOnlyMemory<byte> data, bool fin, CancellationToken cancellationToken)
    {
        byte[] frame = ArrayPool<byte>.Shared.Rent(HeaderSize + Math.Min(data.Length, MaxPayload));
        try
        {
            do
            {
                int n = Math.Min(data.Length, MaxPayload);
                bool last = n == data.Length;
                BinaryPrimitives.WriteUInt32BigEndian(frame, streamId);
                frame[4] = fin && last ? FinFlag : (byte)0;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(5), (ushort)n);
                data.Span[..n].CopyTo(frame.AsSpan(HeaderSize));
                await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await _transport.WriteAsync(frame.AsMemory(0, HeaderSize + n), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _writeLock.Release();
                }
                data = data[n..];
            }
            while (!data.IsEmpty);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    internal void Forget(uint streamId) => _streams.TryRemove(streamId, out _);

    private async Task ReadLoopAsync()
    {
        byte[] header = new byte[HeaderSize];
        byte[]? discard = null;
        try
        {
            while (true)
            {
                int got = await _transport.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, _closed.Token).ConfigureAwait(false);
                if (got < HeaderSize) break; // the peer closed the connection
                uint id = BinaryPrimitives.ReadUInt32BigEndian(header);
                bool fin = (header[4] & FinFlag) != 0;
                int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(5));

                if (!_streams.TryGetValue(id, out MuxStream? stream) && _isServer && id > _nextStreamId)
                {
                    _nextStreamId = id;
                    stream = new MuxStream(this, id);
                    _streams[id] = stream;
                    MuxStream accepted = stream;
                    _ = Task.Run(() => _onAccepted!(accepted));
                }

                if (stream is not null && !stream.ReceiveAbandoned)
                {
                    if (length > 0)
                    {
                        Memory<byte> target = stream.Incoming.Writer.GetMemory(length)[..length];
                        await _transport.ReadExactlyAsync(target, _closed.Token).ConfigureAwait(false);
                        stream.Incoming.Writer.Advance(length);
                        FlushResult flushed = await stream.Incoming.Writer.FlushAsync(_closed.Token).ConfigureAwait(false);
                        if (flushed.IsCompleted) stream.ReceiveAbandoned = true;
                    }
                    if (fin) await stream.Incoming.Writer.CompleteAsync().ConfigureAwait(false);
                }
                else if (length > 0)
                {
                    discard ??= new byte[MaxPayload];
                    await _transport.ReadExactlyAsync(discard.AsMemory(0, length), _closed.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception)
        {
            // The connection broke or was closed: every stream sees end of stream (or the error) below.
        }
        foreach (MuxStream stream in _streams.Values)
        {
            await stream.Incoming.Writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the underlying stream; pending reads of every logical stream end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _closed.Cancel();
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already reported to the streams.
        }
        _closed.Dispose();
    }
}
