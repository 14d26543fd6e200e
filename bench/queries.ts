/** Short, varied queries like people type: the browser and Node query benchmarks time the same ones. */
export const QUERIES = [
  'why do language models make things up',
  'sparse attention for long documents',
  'embeddings that can be cut to fewer dimensions',
  'how does in-context learning work',
  'graph neural networks for molecules',
  'contrastive learning of sentence representations',
  'interpretability of neurons in transformers',
  'diverse decoding instead of beam search',
  'brain activity predicted from language models',
  'unlearning facts from a trained model',
];
