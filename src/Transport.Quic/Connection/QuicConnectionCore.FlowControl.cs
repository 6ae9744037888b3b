using Transport.Reliable.FlowControl;

namespace Transport.Quic.Connection;

// Connection-level flow control (RFC 9000 §4.1) and stream-count limits (RFC 9000 §4.6).
public sealed partial class QuicConnectionCore
{
    private SendCredit _connectionSendCredit = null!;
    private ReceiveWindow _connectionReceiveWindow = null!;
    private bool _maxDataPending;

    // Streams we may open (the peer's MAX_STREAMS) and the peer may open (ours).
    private long _peerMaxStreamsBidi, _peerMaxStreamsUni;
    private long _localMaxStreamsBidi, _localMaxStreamsUni;
    private bool _maxStreamsBidiPending, _maxStreamsUniPending;
    private bool _streamsBlockedBidiPending, _streamsBlockedUniPending;

    private void InitializeFlowControl()
    {
        _connectionSendCredit = new SendCredit(0);
        _connectionReceiveWindow = new ReceiveWindow(_options.InitialMaxData, _options.MaxReceiveWindow);
        _localMaxStreamsBidi = _options.MaxBidirectionalStreams;
        _localMaxStreamsUni = _options.MaxUnidirectionalStreams;
    }

    private SendCredit NewStreamSendCredit(long id, bool isLocal)
    {
        var p = _peerParameters;
        if (p is null) return new SendCredit(0);
        // RFC 9000 §18.2: the peer's limits, seen from the side that opened the stream.
        ulong limit = StreamIds.IsUnidirectional(id) ? p.InitialMaxStreamDataUni
            : isLocal ? p.InitialMaxStreamDataBidiRemote : p.InitialMaxStreamDataBidiLocal;
        return new SendCredit((long)limit);
    }

    private ReceiveWindow NewStreamReceiveWindow() => new(_options.InitialMaxStreamData, _options.MaxStreamReceiveWindow);

    /// <summary>The application consumed bytes of a stream: release connection and stream credit (RFC 9000 §4.2).</summary>
    private void OnStreamBytesConsumed(StreamState stream, long bytes)
    {
        if (bytes <= 0) return;
        _connectionReceiveWindow.OnConsumed(bytes);
        if (_connectionReceiveWindow.TryGetUpdate(_now, _recovery.Rtt.SmoothedRtt, out _)) _maxDataPending = true;
        if (stream.ReceiveWindow is { } w && !stream.IsReceiveTerminal)
        {
            w.OnConsumed(bytes);
            if (w.TryGetUpdate(_now, _recovery.Rtt.SmoothedRtt, out _))
            {
                stream.MaxStreamDataPending = true;
                ScheduleControl(stream);
            }
        }
        else
        {
            stream.ReceiveWindow?.OnConsumed(bytes);
        }
    }

    private void OnMaxDataFrame(long maximum)
    {
        if (_connectionSendCredit.OnMaxDataReceived(maximum))
        {
            foreach (var s in _streams.Values)
                if (s.Send is { } b && b.UnsentBytes > 0) Schedule(s);
        }
    }
}
