using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Transport.Core.Wire;

namespace Transport.Quic.Qlog;

/// <summary>Writes the <c>frames</c> array of a packet event and the qlog spellings of QUIC values.</summary>
internal static class QlogFrameSerializer
{
    public static void WriteFrames(Utf8JsonWriter json, QlogFrameList frames)
    {
        json.WriteStartArray(QlogNames.Frames);
        var numbers = frames.Numbers;
        var bytes = frames.Bytes;
        foreach (ref readonly var f in frames.Frames)
        {
            json.WriteStartObject();
            switch (f.Kind)
            {
                case QlogFrameKind.Padding:
                    // quic-events-02 PaddingFrame: one frame for all the packet's PADDING bytes.
                    json.WriteString(QlogNames.FrameType, QlogNames.ValuePadding);
                    json.WriteNumber(QlogNames.Length, f.A);
                    json.WriteNumber(QlogNames.PayloadLength, f.A);
                    break;
                case QlogFrameKind.Ping:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValuePing);
                    break;
                case QlogFrameKind.Ack:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueAck);
                    json.WriteNumber(QlogNames.AckDelay, f.A / (double)TimeSpan.TicksPerMillisecond);
                    json.WriteStartArray(QlogNames.AckedRanges);
                    for (ulong i = 0; i < f.C; i++)
                    {
                        int at = (int)f.B + (int)(2 * i);
                        ulong smallest = numbers[at], largest = numbers[at + 1];
                        json.WriteStartArray();
                        json.WriteNumberValue(smallest);
                        if (largest != smallest) json.WriteNumberValue(largest); // [n] for a single packet, as the draft asks
                        json.WriteEndArray();
                    }
                    json.WriteEndArray();
                    if (f.Flag)
                    {
                        json.WriteNumber(QlogNames.Ect1, numbers[f.BytesStart + 1]);
                        json.WriteNumber(QlogNames.Ect0, numbers[f.BytesStart]);
                        json.WriteNumber(QlogNames.Ce, numbers[f.BytesStart + 2]);
                    }
                    break;
                case QlogFrameKind.ResetStream:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueResetStream);
                    json.WriteNumber(QlogNames.StreamId, f.A);
                    json.WriteNumber(QlogNames.ErrorCode, f.B);
                    json.WriteNumber(QlogNames.FinalSize, f.C);
                    break;
                case QlogFrameKind.StopSending:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueStopSending);
                    json.WriteNumber(QlogNames.StreamId, f.A);
                    json.WriteNumber(QlogNames.ErrorCode, f.B);
                    break;
                case QlogFrameKind.Crypto:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueCrypto);
                    json.WriteNumber(QlogNames.Offset, f.A);
                    json.WriteNumber(QlogNames.Length, f.B);
                    break;
                case QlogFrameKind.NewToken:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueNewToken);
                    json.WriteStartObject(QlogNames.Token);
                    json.WriteNumber(QlogNames.Length, f.A);
                    json.WriteEndObject();
                    break;
                case QlogFrameKind.Stream:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueStream);
                    json.WriteNumber(QlogNames.StreamId, f.A);
                    json.WriteNumber(QlogNames.Offset, f.B);
                    json.WriteNumber(QlogNames.Length, f.C);
                    if (f.Flag) json.WriteBoolean(QlogNames.Fin, true); // "MUST only be set if the value is true"
                    break;
                case QlogFrameKind.MaxData:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueMaxData);
                    json.WriteNumber(QlogNames.Maximum, f.A);
                    break;
                case QlogFrameKind.MaxStreamData:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueMaxStreamData);
                    json.WriteNumber(QlogNames.StreamId, f.A);
                    json.WriteNumber(QlogNames.Maximum, f.B);
                    break;
                case QlogFrameKind.MaxStreams:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueMaxStreams);
                    json.WriteString(QlogNames.StreamType, f.Flag ? QlogNames.ValueBidirectional : QlogNames.ValueUnidirectional);
                    json.WriteNumber(QlogNames.Maximum, f.A);
                    break;
                case QlogFrameKind.DataBlocked:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueDataBlocked);
                    json.WriteNumber(QlogNames.Limit, f.A);
                    break;
                case QlogFrameKind.StreamDataBlocked:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueStreamDataBlocked);
                    json.WriteNumber(QlogNames.StreamId, f.A);
                    json.WriteNumber(QlogNames.Limit, f.B);
                    break;
                case QlogFrameKind.StreamsBlocked:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueStreamsBlocked);
                    json.WriteString(QlogNames.StreamType, f.Flag ? QlogNames.ValueBidirectional : QlogNames.ValueUnidirectional);
                    json.WriteNumber(QlogNames.Limit, f.A);
                    break;
                case QlogFrameKind.NewConnectionId:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueNewConnectionId);
                    json.WriteNumber(QlogNames.SequenceNumber, f.A);
                    json.WriteNumber(QlogNames.RetirePriorTo, f.B);
                    json.WriteNumber(QlogNames.ConnectionIdLength, f.BytesLength);
                    WriteHex(json, QlogNames.ConnectionId, bytes.Slice(f.BytesStart, f.BytesLength));
                    if (f.Bytes2Length > 0)
                        WriteHex(json, QlogNames.StatelessResetToken, bytes.Slice(f.Bytes2Start, f.Bytes2Length));
                    break;
                case QlogFrameKind.RetireConnectionId:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueRetireConnectionId);
                    json.WriteNumber(QlogNames.SequenceNumber, f.A);
                    break;
                case QlogFrameKind.PathChallenge:
                case QlogFrameKind.PathResponse:
                    {
                        json.WriteString(QlogNames.FrameType,
                            f.Kind == QlogFrameKind.PathChallenge ? QlogNames.ValuePathChallenge : QlogNames.ValuePathResponse);
                        Span<char> hex = stackalloc char[16];
                        f.A.TryFormat(hex, out int n, "x16");
                        json.WriteString(QlogNames.Data, hex[..n]);
                        break;
                    }
                case QlogFrameKind.ConnectionClose:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueConnectionClose);
                    if (f.Flag)
                    {
                        json.WriteString(QlogNames.ErrorSpace, QlogNames.ValueApplication);
                        json.WriteNumber(QlogNames.ErrorCode, f.A);
                    }
                    else
                    {
                        json.WriteString(QlogNames.ErrorSpace, QlogNames.ValueTransport);
                        WriteTransportError(json, QlogNames.ErrorCode, f.A);
                    }
                    json.WriteNumber(QlogNames.RawErrorCode, f.A);
                    if (f.Text is not null) json.WriteString(QlogNames.Reason, f.Text);
                    else if (f.BytesLength > 0) WriteUtf8(json, QlogNames.Reason, bytes.Slice(f.BytesStart, f.BytesLength));
                    if (!f.Flag) json.WriteNumber(QlogNames.TriggerFrameType, f.B);
                    break;
                case QlogFrameKind.HandshakeDone:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueHandshakeDone);
                    break;
                case QlogFrameKind.Datagram:
                    // Not in quic-events-02 (DATAGRAM came later, RFC 9221); spelled as later drafts do.
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueDatagram);
                    json.WriteNumber(QlogNames.Length, f.A);
                    break;
                default:
                    json.WriteString(QlogNames.FrameType, QlogNames.ValueUnknown);
                    json.WriteNumber(QlogNames.RawFrameType, f.A);
                    break;
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>Lower-case hex of <paramref name="value"/>, as qlog's <c>hexstring</c>.</summary>
    public static void WriteHex(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<byte> value)
    {
        const int StackLimit = 128;
        Span<char> chars = value.Length <= StackLimit / 2 ? stackalloc char[StackLimit] : new char[value.Length * 2];
        Convert.TryToHexStringLower(value, chars, out int n);
        json.WriteString(name, chars[..n]);
    }

    /// <summary>A connection ID as hex.</summary>
    public static void WriteConnectionId(Utf8JsonWriter json, JsonEncodedText name, ConnectionId id) => WriteHex(json, name, id.Span);

    /// <summary>A QUIC version as qlog's <c>QuicVersion</c>: eight hex digits.</summary>
    public static void WriteVersionValue(Utf8JsonWriter json, uint version)
    {
        Span<char> hex = stackalloc char[8];
        version.TryFormat(hex, out int n, "x8");
        json.WriteStringValue(hex[..n]);
    }

    /// <summary>Text from the wire: written as-is when valid UTF-8, with replacement characters otherwise.</summary>
    public static void WriteUtf8(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8)) json.WriteString(name, utf8);
        else json.WriteString(name, Encoding.UTF8.GetString(utf8)); // rare: a peer's malformed reason phrase
    }

    /// <summary>
    /// A transport error code (RFC 9000 §20.1) as qlog's <c>TransportError</c> name, <c>crypto_error_0x1XX</c> for
    /// CRYPTO_ERROR (RFC 9001 §4.8), or the bare number for codes without a name.
    /// </summary>
    public static void WriteTransportError(Utf8JsonWriter json, JsonEncodedText name, ulong code)
    {
        string? text = TransportErrorName(code);
        if (text is not null)
        {
            json.WriteString(name, text);
        }
        else if (code is >= 0x100 and <= 0x1ff)
        {
            Span<char> chars = stackalloc char[18];
            "crypto_error_0x".AsSpan().CopyTo(chars);
            code.TryFormat(chars[15..], out int n, "x3");
            json.WriteString(name, chars[..(15 + n)]);
        }
        else
        {
            json.WriteNumber(name, code);
        }
    }

    private static string? TransportErrorName(ulong code) => code switch
    {
        0x00 => "no_error",
        0x01 => "internal_error",
        0x02 => "connection_refused",
        0x03 => "flow_control_error",
        0x04 => "stream_limit_error",
        0x05 => "stream_state_error",
        0x06 => "final_size_error",
        0x07 => "frame_encoding_error",
        0x08 => "transport_parameter_error",
        0x09 => "connection_id_limit_error",
        0x0a => "protocol_violation",
        0x0b => "invalid_token",
        0x0c => "application_error",
        0x0d => "crypto_buffer_exceeded",
        // Not listed in quic-events-02 (written before RFC 9000 named them); spelled as later drafts do.
        0x0e => "key_update_error",
        0x0f => "aead_limit_reached",
        0x10 => "no_viable_path",
        _ => null,
    };
}
