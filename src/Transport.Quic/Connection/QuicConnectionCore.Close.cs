using System.Text;
using Transport.Core.Time;
using Transport.Quic.Frames;

namespace Transport.Quic.Connection;

// Closing, draining and the idle timeout (RFC 9000 §10).
public sealed partial class QuicConnectionCore
{
    private ConnectionPhase _phase;
    private bool _closeIsApplication;
    private ulong _closeErrorCode;
    private ulong _closeFrameType;
    private byte[] _closeReason = [];
    private bool _closeSendPending;
    private int _packetsReceivedWhileClosing;
    private Instant _closePeriodEnd;
    private Instant? _idleDeadline;

    /// <summary>True once the connection is closing, draining or terminated: no more stream or datagram operations.</summary>
    public bool IsClosed => _phase != ConnectionPhase.Open;

    /// <summary>True once the closing or draining period ended (<see cref="ConnectionEventKind.Terminated"/>).</summary>
    public bool IsTerminated => _phase == ConnectionPhase.Terminated;

    /// <summary>
    /// Closes the connection with an application error code (CONNECTION_CLOSE 0x1d, RFC 9000 §10.2): the frame goes out at
    /// the next <see cref="PollTransmit"/> (as 0x1c APPLICATION_ERROR in Initial/Handshake packets before the handshake
    /// completes, RFC 9000 §10.2.3), then the closing period lasts three PTOs. Does nothing when already closed.
    /// </summary>
    /// <exception cref="ArgumentException">A code over 2^62-1.</exception>
    public void Close(ulong errorCode, string? reason = null)
    {
        CheckVarInt(errorCode);
        if (_phase != ConnectionPhase.Open) return;
        EnterClosing(isApplication: true, errorCode, 0, reason);
        Emit(new ConnectionEvent
        {
            Kind = ConnectionEventKind.Closed, StreamId = -1, CloseSource = ConnectionCloseSource.Local,
            ErrorCode = errorCode, IsApplicationError = true, Reason = reason,
        });
    }

    /// <summary>The peer's bad input: close with a transport error code (RFC 9000 §11.1).</summary>
    private void CloseWithTransportError(TransportErrorCode code, ulong frameType, string? reason)
    {
        if (_phase != ConnectionPhase.Open) return;
        EnterClosing(isApplication: false, (ulong)code, frameType, reason);
        Emit(new ConnectionEvent
        {
            Kind = ConnectionEventKind.Closed, StreamId = -1, CloseSource = ConnectionCloseSource.LocalTransportError,
            ErrorCode = (ulong)code, IsApplicationError = false, Reason = reason,
        });
    }

    private void EnterClosing(bool isApplication, ulong code, ulong frameType, string? reason)
    {
        _phase = ConnectionPhase.Closing;
        _closeIsApplication = isApplication;
        _closeErrorCode = code;
        _closeFrameType = frameType;
        byte[] bytes = Encoding.UTF8.GetBytes(reason ?? "");
        _closeReason = bytes.Length > 256 ? bytes.AsSpan(0, 256).ToArray() : bytes;
        _closeSendPending = true;
        _closePeriodEnd = _now + ThreePto();
        _datagramQueue.Clear();
    }

    private void OnConnectionCloseFrame(ConnectionCloseFrame f)
    {
        string reason = Encoding.UTF8.GetString(f.ReasonPhrase);
        if (_phase == ConnectionPhase.Open)
        {
            Emit(new ConnectionEvent
            {
                Kind = ConnectionEventKind.Closed, StreamId = -1, CloseSource = ConnectionCloseSource.Peer,
                ErrorCode = f.ErrorCode, IsApplicationError = f.IsApplicationError, Reason = reason,
            });
        }
        EnterDraining();
    }

    /// <summary>RFC 9000 §10.2.2: the draining period; nothing is sent.</summary>
    private void EnterDraining()
    {
        if (_phase is ConnectionPhase.Draining or ConnectionPhase.Terminated) return;
        _phase = ConnectionPhase.Draining;
        _closeSendPending = false;
        _closePeriodEnd = _now + ThreePto();
        _datagramQueue.Clear();
    }

    private void Terminate()
    {
        if (_phase == ConnectionPhase.Terminated) return;
        _phase = ConnectionPhase.Terminated;
        _closeSendPending = false;
        Emit(ConnectionEventKind.Terminated);
    }

    /// <summary>A packet arrived while closing: answer with CONNECTION_CLOSE again, on the 1st, 2nd, 4th, 8th... packet (RFC 9000 §10.2.1 rate limit).</summary>
    private void OnPacketWhileClosing()
    {
        _packetsReceivedWhileClosing++;
        if ((_packetsReceivedWhileClosing & (_packetsReceivedWhileClosing - 1)) == 0) _closeSendPending = true;
    }

    private TimeSpan ThreePto() => 3 * _recovery.Rtt.GetProbeTimeout(_recovery.MaxAckDelay, includeMaxAckDelay: true);

    /// <summary>RFC 9000 §10.1: the idle timeout is the smaller of both sides' (0 = none), at least 3 PTO; restarted by receiving a packet and by the first ack-eliciting packet sent after one.</summary>
    private void ResetIdleTimer(Instant now)
    {
        TimeSpan local = _options.IdleTimeout;
        TimeSpan peer = _peerParameters is { MaxIdleTimeoutMs: > 0 } p ? TimeSpan.FromMilliseconds(p.MaxIdleTimeoutMs) : TimeSpan.Zero;
        TimeSpan effective = local == TimeSpan.Zero ? peer : peer == TimeSpan.Zero ? local : (local < peer ? local : peer);
        if (effective == TimeSpan.Zero)
        {
            _idleDeadline = null;
            return;
        }
        TimeSpan floor = ThreePto();
        _idleDeadline = now + (effective > floor ? effective : floor);
    }

    private void OnIdleTimeout()
    {
        if (_phase == ConnectionPhase.Open)
        {
            Emit(new ConnectionEvent { Kind = ConnectionEventKind.Closed, StreamId = -1, CloseSource = ConnectionCloseSource.IdleTimeout, Reason = "idle timeout" });
        }
        Terminate(); // RFC 9000 §10.1: silently closed, no closing period
    }

    private void OnStatelessReset()
    {
        if (_phase == ConnectionPhase.Open || _phase == ConnectionPhase.Closing)
        {
            if (_phase == ConnectionPhase.Open)
                Emit(new ConnectionEvent { Kind = ConnectionEventKind.Closed, StreamId = -1, CloseSource = ConnectionCloseSource.StatelessReset, Reason = "stateless reset" });
            EnterDraining(); // RFC 9000 §10.3.1
        }
    }

    /// <summary>A bug of ours surfaced while handling input: close with INTERNAL_ERROR rather than let it escape to the endpoint.</summary>
    private void OnInternalError(Exception ex)
    {
        _statInternalErrors++;
        if (_phase == ConnectionPhase.Open)
            CloseWithTransportError(TransportErrorCode.InternalError, 0, $"{ex.GetType().Name}: {ex.Message}");
        else if (_phase == ConnectionPhase.Closing)
            EnterDraining();
    }

    private void ThrowIfClosed()
    {
        if (_phase != ConnectionPhase.Open) throw new InvalidOperationException("The connection is closed.");
    }
}
