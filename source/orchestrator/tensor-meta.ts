// The v1 metadata JSON for a flat little-endian bf16 vector split into sections:
// {"tensor": {dtype, size, num_elements, element_size, total_bytes},
//  "sections": {"0": {start_byte, end_byte, start_idx, end_idx}, ...}}
// Each section holds numel // n elements; the last one takes the remainder. Ends are exclusive.

export interface SectionMeta {
	start_byte: number;
	end_byte: number;
	start_idx: number;
	end_idx: number;
}

export interface TensorMetadata {
	tensor: {dtype: string; size: number[]; num_elements: number; element_size: number; total_bytes: number};
	sections: Record<string, SectionMeta>;
}

export function sectionMetadata(numElements: number, numSections: number, dtype = 'torch.bfloat16', elementSize = 2): TensorMetadata {
	const per = Math.floor(numElements / numSections);
	const sections: Record<string, SectionMeta> = {};
	for (let i = 0; i < numSections; i++) {
		const start = i * per;
		const end = i === numSections - 1 ? numElements : start + per;
		sections[String(i)] = {start_byte: start * elementSize, end_byte: end * elementSize, start_idx: start, end_idx: end};
	}
	return {
		tensor: {dtype, size: [numElements], num_elements: numElements, element_size: elementSize, total_bytes: numElements * elementSize},
		sections,
	};
}
