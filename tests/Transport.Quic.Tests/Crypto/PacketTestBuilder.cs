using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

/// <summary>Builds unprotected test packets: a long-header (Handshake-like) or short-header layout around a payload.</summary>
internal static class PacketTestBuilder
{
    public static readonly CipherSuite[] Suites = [CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256];

    public static byte[] Secret(CipherSuite suite, int seed)
    {
        byte[] secret = new byte[KeySchedule.SecretLength(suite)];
        new Random(seed).NextBytes(secret);
        return secret;
    }

    /// <summary>Returns the packet (header, payload, 16 bytes of tag room) and the Packet Number field's offset.</summary>
    public static byte[] Build(bool longHeader, int packetNumberLength, ReadOnlySpan<byte> payload, out int packetNumberOffset)
    {
        byte[] dcid = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
        int headerLength;
        byte[] packet;
        if (longHeader)
        {
            // Handshake: 1 + version 4 + DCID length 1 + DCID 8 + SCID length 1 + SCID 4 + Length 2.
            packetNumberOffset = 1 + 4 + 1 + 8 + 1 + 4 + 2;
            headerLength = packetNumberOffset + packetNumberLength;
            packet = new byte[headerLength + payload.Length + 16];
            packet[0] = (byte)(0xe0 | (packetNumberLength - 1));
            packet[4] = 1;
            packet[5] = 8;
            dcid.CopyTo(packet, 6);
            packet[14] = 4;
            packet[15] = 0xaa; packet[16] = 0xbb; packet[17] = 0xcc; packet[18] = 0xdd;
            int length = packetNumberLength + payload.Length + 16;
            packet[19] = (byte)(0x40 | (length >> 8));
            packet[20] = (byte)length;
        }
        else
        {
            packetNumberOffset = 1 + dcid.Length;
            headerLength = packetNumberOffset + packetNumberLength;
            packet = new byte[headerLength + payload.Length + 16];
            packet[0] = (byte)(0x40 | (packetNumberLength - 1));
            dcid.CopyTo(packet, 1);
        }
        payload.CopyTo(packet.AsSpan(headerLength));
        return packet;
    }
}
