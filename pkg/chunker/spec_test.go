package chunker_test

import (
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

// inputA is restic/chunker's own test input (docs/format.md §10.5): 32 MiB of
// math/rand (v1) Uint32 values from seed 23, packed little-endian.
func inputA() []byte {
	rnd := rand.New(rand.NewSource(23))
	buf := make([]byte, 32<<20)
	for i := 0; i < len(buf); i += 4 {
		binary.LittleEndian.PutUint32(buf[i:], rnd.Uint32())
	}
	return buf
}

type specChunk struct {
	length int
	cut    uint64
	sha    string // SHA-256 of the chunk, where the spec gives it
}

var specDefault = []specChunk{
	{2163460, 0x000b98d4cdf00000, "4b94cb2cf293855ea43bf766731c74969b91aa6bf3c078719aabdd19860d590d"},
	{643703, 0x000d4e8364d00000, "5727a63c0964f365ab8ed2ccf604912f2ea7be29759a2b53ede4d6841e397407"},
	{1528956, 0x0015a25c2ef00000, "a73759636a1e7a2758767791c69e81b69fb49236c6929e5d1b654e06e37674ba"},
	{1955808, 0x00102a8242e00000, "c955fb059409b25f07e5ae09defbbc2aadf117c97a3724e06ad4abd2787e6824"},
	{2222372, 0x00045da878000000, "6ba5e9f7e1b310722be3627716cf469be941f7f3e39a4c3bcefea492ec31ee56"},
	{2538687, 0x00198a8179900000, "8687937412f654b5cfe4a82b08f28393a0c040f77c6f95e26742c2fc4254bfde"},
	{609606, 0x001d4e8d17100000, "5da820742ff5feb3369112938d3095785487456f65a8efc4b96dac4be7ebb259"},
	{1205738, 0x000a7204dd600000, "cc70d8fad5472beb031b1aca356bcab86c7368f40faa24fe5f8922c6c268c299"},
	{959742, 0x00183e71e1400000, "4065bdd778f95676c92b38ac265d361f81bff17d76e5d9452cf985a2ea5a4e39"},
	{4036109, 0x001fec043c700000, "b9cf166e75200eb4993fc9b6e22300a6790c75e6b0fc8f3f29b68a752d42f275"},
	{1525894, 0x000b1574b1500000, "2f238180e4ca1f7520a05f3d6059233926341090f9236ce677690c1823eccab3"},
	{1352720, 0x00018965f2e00000, "afd12f13286a3901430de816e62b85cc62468c059295ce5888b76b3af9028d84"},
	{811884, 0x00155628aa100000, "42d0cdb1ee7c48e552705d18e061abb70ae7957027db8ae8db37ec756472a70a"},
	{1282314, 0x001909a0a1400000, "819721c2457426eb4f4c7565050c44c32076a56fa9b4515a1c7796441730eb58"},
	{1318021, 0x001cceb980000000, "842eb53543db55bacac5e25cb91e43cc2e310fe5f9acc1aee86bdf5e91389374"},
	{948640, 0x0011f7a470a00000, "b8e36bf7019bb96ac3fb7867659d2167d9d3b3148c09fe0de45850b8fe577185"},
	{645464, 0x00030ce2d9400000, "5584bd27982191c3329f01ed846bfd266e96548dfa87018f745c33cfc240211d"},
	{533758, 0x0004435c53c00000, "4da778a25b72a9a0d53529eccfe2e5865a789116cb1800f470d8df685a8ab05d"},
	{1128303, 0x0000c48517800000, "08c6b0b38095b348d80300f0be4c5184d2744a17147c2cba5cc4315abf4c048f"},
	{800374, 0x000968473f900000, "820284d2c8fd243429674c996d8eb8d3450cbc32421f43113e980f516282c7bf"},
	{2453512, 0x001e197c92600000, "5fa870ed107c67704258e5e50abe67509fb73562caf77caa843b5f243425d853"},
	{2651975, 0x000ae6c868000000, "181347d2bbec32bef77ad5e9001e6af80f6abcf3576549384d334ee00c1988d8"},
	{237392, 0x0000000000000001, "fcd567f5d866357a8e299fd5b2359bb2c8157c30395229c4e9b0a353944a7978"},
}

var spec19Bits = []specChunk{
	{1491586, 0x00023e586ea80000, ""}, {671874, 0x000b98d4cdf00000, ""}, {643703, 0x000d4e8364d00000, ""},
	{1284146, 0x0012b527e4780000, ""}, {823366, 0x000d1d6752180000, ""}, {810134, 0x0016071b6e180000, ""},
	{567118, 0x00102a8242e00000, ""}, {821315, 0x001b3e42c8180000, ""}, {1401057, 0x00045da878000000, ""},
	{2311122, 0x0005cbd885380000, ""}, {608723, 0x001cfcd86f280000, ""}, {980456, 0x0013edb7a7f80000, ""},
	{1140278, 0x0001f9f017e80000, ""}, {2015542, 0x00097bf5d8180000, ""}, {904752, 0x000e1863eff80000, ""},
	{713072, 0x001f3bb1b9b80000, ""}, {675937, 0x001fec043c700000, ""}, {1525894, 0x000b1574b1500000, ""},
	{1352720, 0x00018965f2e00000, ""}, {811884, 0x00155628aa100000, ""}, {1282314, 0x001909a0a1400000, ""},
	{1093738, 0x0017f5d048880000, ""}, {962003, 0x000b921f7ef80000, ""}, {856384, 0x00030ce2d9400000, ""},
	{533758, 0x0004435c53c00000, ""}, {1128303, 0x0000c48517800000, ""}, {800374, 0x000968473f900000, ""},
	{2453512, 0x001e197c92600000, ""}, {665901, 0x00118c842cb80000, ""}, {1986074, 0x000ae6c868000000, ""},
	{237392, 0x0000000000000001, ""},
}

var specBigMin = []specChunk{
	{17864181, 0x001fec043c700000, "4a43d4eccaa3b88514f54d3becddc6ef5e06fbb2de8161b0129888dbae4430a7"},
	{15690251, 0x0000000000000001, "4ca32142da6f9130dc9a5d0df82a3c9e359cc4f1f480f4e52042ec0e8ecd3cc0"},
}

func TestSpecVectors(t *testing.T) {
	a := inputA()
	zeros := make([]byte, 4*chunker.MinSize)
	zeroChunk := specChunk{chunker.MinSize, 0, "07854d2fef297a06ba81685e660c332de36d5d18d546927d30daad6d7fda1541"}
	cases := []struct {
		name   string
		data   []byte
		params chunker.Params
		want   []specChunk
	}{
		{"inputA", a, chunker.Params{}, specDefault},
		{"inputA-19bits", a, chunker.Params{AverageBits: 19}, spec19Bits},
		{"inputA-16MiB-min", a, chunker.Params{MinSize: 16 << 20, MaxSize: 32 << 20}, specBigMin},
		{"inputB-zeros", zeros, chunker.Params{}, []specChunk{zeroChunk, zeroChunk, zeroChunk, zeroChunk}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := chunkReader(t, c.data, chunker.Pol(0x3da3358b4dc173), c.params, fixedReads(1<<20))
			if len(got) != len(c.want) {
				t.Fatalf("%d chunks, want %d", len(got), len(c.want))
			}
			for i, w := range c.want {
				g := got[i]
				if g.Length != w.length || g.Cut != w.cut {
					t.Errorf("chunk %d: length %d cut %016x, want %d %016x", i, g.Length, g.Cut, w.length, w.cut)
				}
				if w.sha != "" && hexID(c.data[g.Start:g.Start+g.Length]) != w.sha {
					t.Errorf("chunk %d: wrong SHA-256", i)
				}
			}
		})
	}
}
