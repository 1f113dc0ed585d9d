// Mantine's mixins and rem()/light-dark() functions for any CSS module under web/.
module.exports = {
  plugins: {
    'postcss-preset-mantine': {},
  },
};
