using Transport.Reliable.FlowControl;
using Transport.Reliable.Streams;

namespace Transport.Quic.Connection;

/// <summary>
/// One stream's two halves (RFC 9000 §3): the send side (buffer, the peer's credit, reset) and the receive side
/// (reassembly, our window, STOP_SENDING). A half that does not exist for a unidirectional stream is null.
/// </summary>
internal sealed class StreamState
{
    public StreamState(long id, bool isLocal, SendCredit? sendCredit, ReceiveWindow? receiveWindow)
    {
        Id = id;
        IsLocal = isLocal;
        if (sendCredit is not null)
        {
            Send = new SendBuffer();
            SendCredit = sendCredit;
        }
        if (receiveWindow is not null)
        {
            Receive = new ReceiveBuffer();
            ReceiveWindow = receiveWindow;
        }
    }

    public long Id { get; }

    public bool IsLocal { get; }

    // ---- send side (null for a receive-only stream)
    public SendBuffer? Send { get; }
    public SendCredit? SendCredit { get; }
    /// <summary>We reset the send side; RESET_STREAM must be (re)sent while <see cref="ResetPending"/>.</summary>
    public bool ResetSent { get; set; }
    public bool ResetPending { get; set; }
    public bool ResetAcknowledged { get; set; }
    public ulong ResetErrorCode { get; set; }
    public long ResetFinalSize { get; set; }
    public bool StreamDataBlockedPending { get; set; }
    public bool SendCompletedReported { get; set; }
    public bool WritableReported { get; set; }
    /// <summary>Queued in the connection's round-robin of streams with data to send.</summary>
    public bool IsScheduled { get; set; }
    /// <summary>Send urgency, 0 (most urgent) to 7, as in RFC 9218 §4.1; default 3. Lower levels send first.</summary>
    public int Urgency { get; set; } = QuicConnectionCore.DefaultStreamUrgency;

    // ---- receive side (null for a send-only stream)
    public ReceiveBuffer? Receive { get; }
    public ReceiveWindow? ReceiveWindow { get; }
    public bool StopSendingSent { get; set; }
    public bool StopSendingPending { get; set; }
    public ulong StopSendingErrorCode { get; set; }
    public bool MaxStreamDataPending { get; set; }
    public bool ReadableReported { get; set; }
    public bool ResetReceived { get; set; }
    public bool ResetReported { get; set; }

    /// <summary>The send side is finished: absent, everything acknowledged, or reset and the reset acknowledged.</summary>
    public bool IsSendTerminal => Send is null || Send.IsAllAcknowledged || (ResetSent && ResetAcknowledged);

    /// <summary>
    /// The receive side is finished: absent, all data read, reset received, or (after STOP_SENDING) all data received and
    /// dropped. Until then the final size is unknown and the stream still counts for connection flow control.
    /// </summary>
    public bool IsReceiveTerminal => Receive is null || Receive.IsFinished || ResetReceived || (StopSendingSent && Receive.IsAllDataReceived);

    public bool HasSomethingToSend =>
        (Send is not null && !ResetSent && Send.HasDataToSend) || ResetPending || StopSendingPending || MaxStreamDataPending || StreamDataBlockedPending;
}
