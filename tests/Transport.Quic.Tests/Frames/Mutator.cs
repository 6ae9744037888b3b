namespace Transport.Quic.Tests;

/// <summary>Deterministic mutations of valid encodings for fuzzing: byte flips, truncations, extensions, insertions, deletions.</summary>
internal static class Mutator
{
    public static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = new List<byte>(valid);
        int rounds = random.Next(1, 4);
        for (int i = 0; i < rounds; i++)
        {
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0: // flip bits of one byte
                    int at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0: // replace a byte
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 2 when bytes.Count > 0: // truncate
                    int cut = random.Next(bytes.Count);
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    break;
                case 3: // extend with random bytes
                    int n = random.Next(1, 20);
                    for (int j = 0; j < n; j++) bytes.Add((byte)random.Next(256));
                    break;
                case 4: // insert a byte
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 5 when bytes.Count > 0: // delete a byte
                    bytes.RemoveAt(random.Next(bytes.Count));
                    break;
            }
        }
        return bytes.ToArray();
    }
}
